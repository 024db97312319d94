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
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import type { StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionInfo } from "../types.js";
import { DeadlineExceeded, describeFailure, withDeadline } from "./deadline.js";
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
   * How long a request may wait for PostgreSQL (to connect and answer one
   * statement) before it fails with `SessionStoreUnavailableError`, in
   * milliseconds. Give the pool a `connectionTimeoutMillis` no longer than this.
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
    await this.#query(ctx, postgresSessionTableSql(this.#table));
  }

  /**
   * Deletes every expired session and returns how many. New sessions
   * already delete a few each; run this from a scheduled job if sessions
   * can stop being created for long, or after lowering `sweepLimit` to 0.
   */
  async deleteExpired(ctx?: RequestContext): Promise<number> {
    return (await this.#query(ctx, this.#sql.deleteExpired, [Date.now()])).rowCount ?? 0;
  }

  protected async readEntry(id: string, ctx?: RequestContext): Promise<StoredEntry<Data> | null> {
    const located = await this.keys.locate(id);
    if (located === null) return null;
    const now = Date.now();
    const { rows } = await this.#query(ctx, this.#sql.load, [located.idHash, now]);
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
      const { rowCount } = await this.#query(ctx, this.#sql.create, values);
      return rowCount === 1 ? fresh.id : ID_TAKEN;
    });
  }

  async updateRecord(id: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const located = await this.keys.locate(id);
    if (located === null) return null;
    const text = this.recordText(record);
    const [owner, handle] = await this.#owner(record, located.idHash);
    const { rowCount } = await this.#query(ctx, this.#sql.update, [located.idHash, text, record.expiresAt, owner, handle, Date.now()]);
    return rowCount === 1 ? id : null;
  }

  async destroyRecord(id: string, ctx?: RequestContext): Promise<boolean> {
    const located = await this.keys.locate(id);
    if (located === null) return false;
    const { rows } = await this.#query(ctx, this.#sql.destroy, [located.idHash, Date.now()]);
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
        const { rowCount } = await this.#query(ctx, this.#sql.rotate, values);
        return rowCount === 1 ? fresh.id : null;
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
    const { rows } = await this.#query(ctx, this.#sql.list, [user.hash, now, limit]);
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
    await this.#query(ctx, this.#sql.revokeOne, [user.hash, handle]);
  }

  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void> {
    await this.#query(ctx, this.#sql.revokeAll, [user.hash, exceptHandle ?? null]);
  }

  /** The `user_hash` and `handle` columns of a record: both `null` for a session bound to no one. */
  async #owner(record: SessionRecord<Data>, idHash: string): Promise<[string | null, string | null]> {
    const user = record.meta?.user;
    if (user === undefined) return [null, null];
    return Promise.all([this.userHash(user), handleFromIdHash(idHash)]);
  }

  async #query(ctx: RequestContext | undefined, text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> {
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
    try {
      return await withDeadline(
        Promise.resolve().then(() => client.query(text, values)),
        this.timeout,
      );
    } catch (error) {
      throw this.#failure(error);
    }
  }

  #failure(error: unknown): Error {
    if (error instanceof DeadlineExceeded) {
      return new SessionStoreUnavailableError(`PostgreSQL did not answer within ${this.timeout} ms. The session is intact; retry later.`, {
        cause: error,
      });
    }
    const code = sqlState(error);
    if (code === "42P01" || code === "42703" || code === "3F000") {
      return new SessionSetupError(
        `PostgresSessionStore's table ${this.#table} is missing or has other columns (${describeFailure(error)}): ` +
          "create it with `await store.createTable()` or the SQL of `postgresSessionTableSql()`.",
        { cause: error },
      );
    }
    if (code === undefined || isUnavailableState(code)) {
      return new SessionStoreUnavailableError(`PostgreSQL failed a session query: ${describeFailure(error)}. The session is intact; retry later.`, {
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function statements(table: string, sweepLimit: number): Statements {
  const columns = "(id_hash, record, expires_at, user_hash, handle)";
  const insert = `INSERT INTO ${table} ${columns} VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO NOTHING`;
  // $6, the clock, bounds the sweep of expired rows that rides along with each INSERT.
  const create =
    sweepLimit === 0
      ? insert
      : `WITH swept AS (DELETE FROM ${table} WHERE id_hash IN (` +
        `SELECT id_hash FROM ${table} WHERE expires_at <= $6 ORDER BY expires_at LIMIT ${sweepLimit} FOR UPDATE SKIP LOCKED)) ` +
        insert;
  return {
    sweeps: sweepLimit > 0,
    load: `SELECT record FROM ${table} WHERE id_hash = $1 AND expires_at > $2`,
    create,
    update: `UPDATE ${table} SET record = $2, expires_at = $3, user_hash = $4, handle = $5 WHERE id_hash = $1 AND expires_at > $6`,
    destroy: `DELETE FROM ${table} WHERE id_hash = $1 RETURNING expires_at > $2 AS alive`,
    rotate: `UPDATE ${table} SET id_hash = $2, record = $3, expires_at = $4, user_hash = $5, handle = $6 ` + "WHERE id_hash = $1 AND expires_at > $7",
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
