/**
 * Sessions in PostgreSQL, through node-postgres (`pg`) or any client with
 * its `query(text, values)` shape. One row per session, keyed by the
 * SHA-256 of its ID; every operation is one statement, so a read-only
 * request costs one query and a write one query.
 *
 * The statements lean on PostgreSQL's row locks instead of transactions
 * (a pool hands each query to whichever connection is free):
 * - an update or a rotation is an `UPDATE ... WHERE expires_at > now`, so
 *   a session deleted meanwhile (a logout) stays deleted;
 * - a rotation (regenerate, login) moves the row to its new key in place rather
 *   than deleting one row and inserting another. A concurrent revoke of the
 *   user's sessions that waited on that row then sees the rotated row and
 *   deletes it; with a delete and an insert, the inserted row would be
 *   invisible to the revoke's snapshot and survive it.
 * Expired rows are deleted a few at a time by each new session's INSERT,
 * through the index on `expires_at`; `deleteExpired()` clears them all.
 *
 * A write the store reports as failed does not land later. From a pool,
 * the store takes the connection itself within its timeout, and one that
 * comes later goes back unused: a statement is never sent after its
 * request gave up. A write that was sent (a create, an update, a rotation)
 * carries its deadline, and PostgreSQL refuses to begin it after that, by
 * its own clock: a statement stuck behind a frozen server or a slow
 * network does nothing when it finally runs. What remains is a write
 * PostgreSQL began before the deadline and finished after it, and the
 * difference between the app's clock and the database's. A destroy or a
 * revoke carries no deadline: ending a session late is still what was
 * asked, and its error says it may still happen.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import type { StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionInfo } from "../types.js";
import { DeadlineExceeded, describeFailure, leftCutOff, leftUnanswered, withDeadline, type CallKind } from "./deadline.js";
import { ExternalStore, ID_TAKEN, type ExternalStoreOptions } from "./external-store.js";
import { textToRecord } from "./record-text.js";
import { handleFromIdHash, type IndexedUser } from "./session-id.js";
import { userSessionInfo } from "./user-sessions.js";

/**
 * The part of a node-postgres client the store uses: `pg.Pool` (what to
 * pass), `pg.Client`, or any client with the same `query` shape.
 */
export interface PostgresClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * A pool the store takes connections from itself (`pg.Pool` and pools built
 * on it, such as Neon's): so that a statement whose request has given up
 * waiting for a connection is never sent.
 */
interface PostgresPoolLike extends PostgresClientLike {
  connect(): Promise<PooledConnectionLike>;
  readonly waitingCount: number;
}

/** A connection checked out of a pool (`pg.PoolClient`). */
interface PooledConnectionLike extends PostgresClientLike {
  /** Back to the pool; with an error, the pool closes the connection instead. */
  release(error?: Error): void;
  on?(event: "error", listener: (error: Error) => void): unknown;
  removeListener?(event: "error", listener: (error: Error) => void): unknown;
}

export interface PostgresSessionStoreOptions<Data = SessionData> extends Omit<ExternalStoreOptions<Data>, "prefix"> {
  /**
   * The client: a `pg.Pool`, created once. A pool reconnects by itself
   * after PostgreSQL restarts; a single `pg.Client` does not. Give either
   * `client` or `getClient`.
   * @default undefined (then `getClient` is required)
   * @example
   * ```ts
   * new PostgresSessionStore({ client: new pg.Pool({ connectionString: process.env.DATABASE_URL }) })
   * ```
   */
  client?: PostgresClientLike;
  /**
   * Instead of `client`: the client for this request (say, one per request
   * through Hyperdrive on Workers).
   * @default undefined (then `client` is required)
   */
  getClient?: (ctx: RequestContext | undefined) => Awaitable<PostgresClientLike>;
  /**
   * The sessions table, optionally schema-qualified (`"auth.sessions"`).
   * Create it with `createTable()` or the SQL of `postgresSessionTableSql()`.
   * @default "hattip_sessions"
   */
  table?: string;
  /**
   * How long a request may wait for PostgreSQL (for a connection from the
   * pool, and for one statement's answer) before it fails with
   * `SessionStoreUnavailableError`, in milliseconds. A write also carries
   * this deadline to PostgreSQL, which refuses to begin it later. Give the
   * pool a `connectionTimeoutMillis` no longer than this.
   * @default 2000
   */
  timeout?: number;
  /**
   * Expired rows deleted by each new session's INSERT: enough to keep the
   * table clean as long as sessions keep being created. `0` leaves all the
   * cleaning to `deleteExpired()`.
   * @default 10
   */
  sweepLimit?: number;
}

/** The statements; each write (`create`, `update`, `rotate`) takes the deadline as its last value. */
interface Statements {
  /** Whether `create` takes the clock as a sixth value. */
  sweeps: boolean;
  load: string;
  create: string;
  update: string;
  destroy: string;
  rotate: string;
  list: string;
  revokeOne: string;
  revokeAll: string;
  deleteExpired: string;
}

const DEFAULT_TABLE = "hattip_sessions";
/** Classes start with a digit, or are one of the few lettered ones (F0, HV, P0, XX). */
const SQLSTATE = /^(?:[0-9][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** The error listener the store adds to a client that has none: pg.Pool throws an idle client's error otherwise. */
const watched = new WeakSet<object>();

/**
 * The SQL that creates the sessions table and its indexes, idempotent.
 * `expires_at` is in milliseconds since the epoch; `user_hash` is a keyed
 * hash of the bound user's ID (HMAC under `userTagSecret`), never the ID;
 * `handle` is the session's public handle in that user's list.
 */
export function postgresSessionTableSql(table: string = DEFAULT_TABLE): string {
  const { quoted, indexBase } = tableName(table);
  return [
    `CREATE TABLE IF NOT EXISTS ${quoted} (`,
    "  id_hash text PRIMARY KEY,",
    "  record text NOT NULL,",
    "  expires_at bigint NOT NULL,",
    "  user_hash text,",
    "  handle text",
    ");",
    `CREATE INDEX IF NOT EXISTS ${quote(`${indexBase}_expires_at_idx`)} ON ${quoted} (expires_at);`,
    `CREATE INDEX IF NOT EXISTS ${quote(`${indexBase}_user_hash_idx`)} ON ${quoted} (user_hash) WHERE user_hash IS NOT NULL;`,
  ].join("\n");
}

/**
 * @example
 * ```ts
 * import pg from "pg";
 * const store = new PostgresSessionStore({ client: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 * await store.createTable(); // once, at deploy or start-up
 * app.use(session({ store }));
 * ```
 */
export class PostgresSessionStore<Data = SessionData> extends ExternalStore<Data> {
  readonly #getClient: (ctx: RequestContext | undefined) => Awaitable<PostgresClientLike>;
  readonly #table: string;
  readonly #sql: Statements;

  constructor(options: PostgresSessionStoreOptions<Data>) {
    super(options, { name: "PostgresSessionStore", timeout: 2000 });
    const { client, getClient } = options ?? {};
    if (client !== undefined && getClient !== undefined) {
      throw new SessionSetupError("PostgresSessionStore takes `client` or `getClient`, not both.");
    }
    if (client !== undefined) {
      if (typeof client?.query !== "function") throw noClient();
      this.#getClient = () => client;
    } else if (typeof getClient === "function") {
      this.#getClient = getClient;
    } else {
      throw noClient();
    }
    const sweepLimit = options.sweepLimit ?? 10;
    if (!Number.isSafeInteger(sweepLimit) || sweepLimit < 0) {
      throw new SessionSetupError("PostgresSessionStore `sweepLimit` must be a whole number, 0 or more.");
    }
    this.#table = options.table ?? DEFAULT_TABLE;
    this.#sql = statements(tableName(this.#table).quoted, sweepLimit);
  }

  /** Creates the sessions table and its indexes if they are missing (`postgresSessionTableSql()`). */
  async createTable(ctx?: RequestContext): Promise<void> {
    await this.#query(ctx, "other", postgresSessionTableSql(this.#table));
  }

  /**
   * Deletes every expired session and returns how many. New sessions
   * already delete a few each; run this from a scheduled job if sessions
   * can stop being created for long, or after lowering `sweepLimit` to 0.
   */
  async deleteExpired(ctx?: RequestContext): Promise<number> {
    return (await this.#query(ctx, "other", this.#sql.deleteExpired, [Date.now()])).rowCount ?? 0;
  }

  protected async readEntry(id: string, ctx?: RequestContext): Promise<StoredEntry<Data> | null> {
    const located = await this.keys.locate(id);
    if (located === null) return null;
    const now = Date.now();
    const { rows } = await this.#query(ctx, "read", this.#sql.load, [located.idHash, now]);
    const text = (rows[0] as { record?: unknown } | undefined)?.record;
    return typeof text === "string" ? textToRecord(text, this.keys.serializer, now) : null;
  }

  /** `INSERT ... ON CONFLICT DO NOTHING`: a new ID never overwrites another session. */
  async createRecord(record: SessionRecord<Data>, ctx?: RequestContext): Promise<string> {
    const text = this.recordText(record);
    return this.withNewId(record.meta?.user, async (fresh) => {
      const [owner, handle] = await this.#owner(record, fresh.idHash);
      const values = [fresh.idHash, text, record.expiresAt, owner, handle];
      if (this.#sql.sweeps) values.push(Date.now());
      return (await this.#write(ctx, this.#sql.create, values)) === 1 ? fresh.id : ID_TAKEN;
    });
  }

  async updateRecord(id: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const located = await this.keys.locate(id);
    if (located === null) return null;
    const text = this.recordText(record);
    const [owner, handle] = await this.#owner(record, located.idHash);
    const written = await this.#write(ctx, this.#sql.update, [located.idHash, text, record.expiresAt, owner, handle, Date.now()]);
    return written === 1 ? id : null;
  }

  async destroyRecord(id: string, ctx?: RequestContext): Promise<boolean> {
    const located = await this.keys.locate(id);
    if (located === null) return false;
    const { rows } = await this.#query(ctx, "end", this.#sql.destroy, [located.idHash, Date.now()]);
    return (rows[0] as { alive?: unknown } | undefined)?.alive === true;
  }

  /** One `UPDATE` that moves the row to the new ID's hash, only if the old session is alive. */
  override async rotateRecord(oldId: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const located = await this.keys.locate(oldId);
    if (located === null) return null;
    const text = this.recordText(record);
    return this.withNewId(record.meta?.user, async (fresh) => {
      const [owner, handle] = await this.#owner(record, fresh.idHash);
      try {
        const values = [located.idHash, fresh.idHash, text, record.expiresAt, owner, handle, Date.now()];
        return (await this.#write(ctx, this.#sql.rotate, values)) === 1 ? fresh.id : null;
      } catch (error) {
        // The new ID's hash is taken: nothing was written, try another.
        if (isUniqueViolation(error)) return ID_TAKEN;
        throw error;
      }
    });
  }

  /** One `SELECT` of the user's rows with the latest deadlines, through the index on `user_hash`. */
  protected async listSessionsOf(user: IndexedUser, limit: number, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const now = Date.now();
    const { rows } = await this.#query(ctx, "read", this.#sql.list, [user.hash, now, limit]);
    const sessions: UserSessionInfo[] = [];
    for (const row of rows as { handle: unknown; record: unknown }[]) {
      if (typeof row.record !== "string" || typeof row.handle !== "string") continue;
      const loaded = textToRecord(row.record, this.keys.serializer, now);
      const info = loaded && userSessionInfo(user.id, row.handle, loaded.record);
      if (info) sessions.push(info);
    }
    return sessions;
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string, ctx: RequestContext | undefined): Promise<void> {
    await this.#query(ctx, "end", this.#sql.revokeOne, [user.hash, handle]);
  }

  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void> {
    await this.#query(ctx, "end", this.#sql.revokeAll, [user.hash, exceptHandle ?? null]);
  }

  /** The `user_hash` and `handle` columns of a record: both `null` for a session bound to no one. */
  async #owner(record: SessionRecord<Data>, idHash: string): Promise<[string | null, string | null]> {
    const user = record.meta?.user;
    if (user === undefined) return [null, null];
    return Promise.all([this.userHash(user), handleFromIdHash(idHash)]);
  }

  /**
   * Runs a guarded write (its deadline appended to `values`) and answers
   * how many rows it wrote; a refusal for lateness is an error, never `0`.
   */
  async #write(ctx: RequestContext | undefined, text: string, values: unknown[]): Promise<number> {
    const { rows } = await this.#query(ctx, "write", text, values, true);
    const answer = rows[0] as { on_time?: unknown; written?: unknown } | undefined;
    if (answer?.on_time !== true) {
      throw new SessionStoreUnavailableError(
        `PostgreSQL began this session write after its deadline (the store's timeout, ${this.timeout} ms) and refused it: nothing was changed; retry later.`,
      );
    }
    return Number(answer.written);
  }

  /**
   * One statement within the store's timeout, counted from now. From a pool
   * the connection is taken here, within the deadline, and a connection that
   * comes later goes back unused: a statement is never sent after its
   * request gave up. For a `guarded` write, the deadline (epoch ms) is
   * appended to `values`.
   */
  async #query(
    ctx: RequestContext | undefined,
    kind: CallKind,
    text: string,
    values: unknown[] = [],
    guarded = false,
  ): Promise<{ rows: unknown[]; rowCount: number | null }> {
    const deadline = Date.now() + this.timeout;
    if (guarded) values.push(deadline);
    let client: PostgresClientLike;
    try {
      client = await this.#getClient(ctx);
    } catch (error) {
      throw new SessionStoreUnavailableError(`PostgresSessionStore could not get a client: ${describeFailure(error)}. Retry later.`, {
        cause: error,
      });
    }
    if (typeof client?.query !== "function") throw noClient();
    watchErrors(client);
    if (isPool(client)) return this.#queryPooled(client, deadline, kind, text, values);
    return this.#answer(
      Promise.resolve().then(() => client.query(text, values)),
      deadline,
      kind,
    );
  }

  async #queryPooled(
    pool: PostgresPoolLike,
    deadline: number,
    kind: CallKind,
    text: string,
    values: unknown[],
  ): Promise<{ rows: unknown[]; rowCount: number | null }> {
    const checkout = Promise.resolve().then(() => pool.connect());
    let connection: PooledConnectionLike;
    try {
      connection = await withDeadline(checkout, Math.max(0, deadline - Date.now()));
    } catch (error) {
      if (!(error instanceof DeadlineExceeded)) throw this.#failure(error, "read");
      // The connection the pool hands over later goes straight back, unused.
      checkout.then(
        (late) => late.release(),
        () => undefined,
      );
      throw this.#notSent();
    }
    if (Date.now() >= deadline) {
      connection.release();
      throw this.#notSent();
    }
    // A checked-out connection that errors with no listener would end the process (pg.Pool listens only to idle ones).
    const onError = (error: Error) => void error;
    connection.on?.("error", onError);
    const running = Promise.resolve().then(() => connection.query(text, values));
    // Back to the pool once the statement settles, not before: the connection is busy until then. A failed one is closed, as pool.query() does.
    running
      .then(
        () => connection.release(),
        (error: unknown) => connection.release(error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => connection.removeListener?.("error", onError));
    return this.#answer(running, deadline, kind);
  }

  async #answer<T>(running: Promise<T>, deadline: number, kind: CallKind): Promise<T> {
    try {
      return await withDeadline(running, Math.max(0, deadline - Date.now()));
    } catch (error) {
      throw this.#failure(error, kind);
    }
  }

  #notSent(): SessionStoreUnavailableError {
    return new SessionStoreUnavailableError(
      `The PostgreSQL pool had no free connection within ${this.timeout} ms: nothing was sent; retry later. ` +
        "(Raise the pool's `max`, or the store's `timeout`.)",
    );
  }

  #failure(error: unknown, kind: CallKind): Error {
    if (error instanceof DeadlineExceeded) {
      return new SessionStoreUnavailableError(
        `PostgreSQL did not answer within ${this.timeout} ms: ${leftUnanswered(kind, "PostgreSQL")}; retry later.`,
        {
          cause: error,
        },
      );
    }
    const code = sqlState(error);
    if (code === "42P01" || code === "42703" || code === "3F000") {
      return new SessionSetupError(
        `PostgresSessionStore's table ${this.#table} is missing or has other columns (${describeFailure(error)}): ` +
          "create it with `await store.createTable()` or the SQL of `postgresSessionTableSql()`.",
        { cause: error },
      );
    }
    if (code === undefined) {
      return new SessionStoreUnavailableError(
        `PostgreSQL failed a session query (${describeFailure(error)}): ${leftCutOff(kind, "PostgreSQL")}; retry later.`,
        {
          cause: error,
        },
      );
    }
    if (isUnavailableState(code)) {
      // PostgreSQL answered with an error: the statement did not run.
      return new SessionStoreUnavailableError(`PostgreSQL refused a session query (${describeFailure(error)}): nothing was changed; retry later.`, {
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** A pool the store can take connections from (pg.Pool's `connect()` and `waitingCount`), rather than a single client. */
function isPool(client: PostgresClientLike): client is PostgresPoolLike {
  const candidate = client as Partial<PostgresPoolLike>;
  return typeof candidate.connect === "function" && typeof candidate.waitingCount === "number";
}

function statements(table: string, sweepLimit: number): Statements {
  const columns = "(id_hash, record, expires_at, user_hash, handle)";
  /**
   * A write runs only if PostgreSQL begins it by `deadline` (epoch ms, by
   * its own clock), and answers whether it did beside how many rows it
   * wrote: a refusal is never mistaken for a session that is gone.
   */
  const guarded = (deadline: string, write: string, ...before: string[]) =>
    [
      `WITH guard AS (SELECT clock_timestamp() <= to_timestamp(${deadline}::float8 / 1000) AS on_time)`,
      ...before,
      `written AS (${write} RETURNING 1)`,
    ].join(", ") + " SELECT (SELECT on_time FROM guard) AS on_time, (SELECT count(*)::int FROM written) AS written";
  const onTime = "(SELECT on_time FROM guard)";
  const insert = `INSERT INTO ${table} ${columns} SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text WHERE ${onTime} ON CONFLICT (id_hash) DO NOTHING`;
  // $6, the clock, bounds the sweep of expired rows that rides along with each INSERT; the deadline comes last.
  const sweep =
    `swept AS (DELETE FROM ${table} WHERE id_hash IN (` +
    `SELECT id_hash FROM ${table} WHERE expires_at <= $6 ORDER BY expires_at LIMIT ${sweepLimit} FOR UPDATE SKIP LOCKED))`;
  return {
    sweeps: sweepLimit > 0,
    load: `SELECT record FROM ${table} WHERE id_hash = $1 AND expires_at > $2`,
    create: sweepLimit === 0 ? guarded("$6", insert) : guarded("$7", insert, sweep),
    update: guarded(
      "$7",
      `UPDATE ${table} SET record = $2, expires_at = $3, user_hash = $4, handle = $5 WHERE id_hash = $1 AND expires_at > $6 AND ${onTime}`,
    ),
    destroy: `DELETE FROM ${table} WHERE id_hash = $1 RETURNING expires_at > $2 AS alive`,
    rotate: guarded(
      "$8",
      `UPDATE ${table} SET id_hash = $2, record = $3, expires_at = $4, user_hash = $5, handle = $6 WHERE id_hash = $1 AND expires_at > $7 AND ${onTime}`,
    ),
    list: `SELECT handle, record FROM ${table} WHERE user_hash = $1 AND expires_at > $2 ORDER BY expires_at DESC LIMIT $3`,
    revokeOne: `DELETE FROM ${table} WHERE user_hash = $1 AND handle = $2`,
    revokeAll: `DELETE FROM ${table} WHERE user_hash = $1 AND handle IS DISTINCT FROM $2`,
    deleteExpired: `DELETE FROM ${table} WHERE expires_at <= $1`,
  };
}

/** The table's quoted name, and a base for its index names; a name that is not a plain identifier is refused. */
function tableName(table: string): { quoted: string; indexBase: string } {
  const parts = typeof table === "string" ? table.split(".") : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new SessionSetupError(
      `PostgresSessionStore \`table\` must be a table name or schema.table made of letters, digits and underscores, got ${JSON.stringify(table)}.`,
    );
  }
  return { quoted: parts.map(quote).join("."), indexBase: parts[parts.length - 1]! };
}

function quote(identifier: string): string {
  return `"${identifier}"`;
}

function noClient(): SessionSetupError {
  return new SessionSetupError(
    "PostgresSessionStore needs `client`, a node-postgres pool (`new pg.Pool({ connectionString: process.env.DATABASE_URL })`) " +
      "or another client with a `query(text, values)` method, or `getClient`, a function that returns one.",
  );
}

/** pg.Pool re-emits an idle connection's error on itself, and an EventEmitter with no listener ends the process. */
function watchErrors(client: PostgresClientLike): void {
  const emitter = client as Partial<{ on(event: "error", listener: (error: unknown) => void): unknown; listenerCount(event: "error"): number }>;
  if (watched.has(client) || typeof emitter.on !== "function" || typeof emitter.listenerCount !== "function") return;
  watched.add(client);
  if (emitter.listenerCount("error") === 0) emitter.on("error", () => undefined);
}

/** The SQLSTATE of a server error; `undefined` for a network error (whose `code` is Node's, like `ECONNREFUSED`). */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && SQLSTATE.test(code) ? code : undefined;
}

function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === "23505";
}

/**
 * SQLSTATE classes of a server that cannot serve right now: connection
 * exceptions (08), insufficient resources (53), operator intervention such
 * as a shutdown or a server still starting (57), system errors (58), and
 * a serialization failure or deadlock (40).
 */
function isUnavailableState(code: string): boolean {
  return ["08", "53", "57", "58", "40"].includes(code.slice(0, 2));
}
