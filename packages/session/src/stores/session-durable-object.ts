/**
 * The Durable Object class that keeps sessions for DurableObjectSessionStore.
 * Users export it from their Worker and bind it (a SQLite-backed class).
 *
 * One object holds either one anonymous session, or every session of one
 * user (routed by the tag in their session IDs), in a SQLite table. An
 * object runs one call at a time and SQL calls are synchronous, so each
 * call below (a conditional update, a rotation, a revoke of all a user's
 * sessions) is atomic, and strongly consistent for every Worker that asks.
 *
 * Expired rows do not pile up: a read that meets one deletes it, and a
 * storage alarm, set to the earliest deadline, deletes what expired and
 * sets itself to the next. An object left with no session deletes all its
 * storage, so the objects of ended anonymous sessions cost nothing.
 */
import {
  DURABLE_OBJECT_CALL_URL,
  type DurableObjectAnswers,
  type DurableObjectCall,
  type DurableObjectFailure,
  type RowFields,
} from "./durable-object-protocol.js";

/** The part of `SqlStorage` (`ctx.storage.sql`) the object uses. */
interface SqlStorageLike {
  exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] };
}

/** The part of `DurableObjectState` the object uses. */
export interface SessionDurableObjectState {
  /** The object's SQLite-backed storage (declare the class under `new_sqlite_classes` in its migration). */
  storage: {
    sql?: SqlStorageLike;
    transactionSync?<T>(closure: () => T): T;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number): Promise<void>;
    deleteAlarm(): Promise<void>;
    deleteAll(): Promise<void>;
  };
}

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER NOT NULL, user_hash TEXT, handle TEXT)",
  "CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)",
  "CREATE INDEX IF NOT EXISTS sessions_user_hash ON sessions (user_hash)",
];
const MAX_CALL_BYTES = 1_000_000;

class BadCall extends Error {}
class SetupProblem extends Error {}
class LateCall extends Error {}

/**
 * @example
 * ```ts
 * // worker entry
 * export { SessionDurableObject } from "hattip-session";
 * // wrangler.jsonc
 * // "durable_objects": { "bindings": [{ "name": "SESSIONS", "class_name": "SessionDurableObject" }] },
 * // "migrations": [{ "tag": "v1", "new_sqlite_classes": ["SessionDurableObject"] }]
 * ```
 */
export class SessionDurableObject {
  readonly #state: SessionDurableObjectState;
  /** Whether this object's table exists: reads of an empty object must not create it. */
  #hasTable: boolean | undefined;
  #checkedSql: SqlStorageLike | undefined;

  constructor(state: SessionDurableObjectState, _env?: unknown) {
    this.#state = state;
  }

  async fetch(request: Request): Promise<Response> {
    try {
      if (request.method !== "POST" || new URL(request.url).href !== DURABLE_OBJECT_CALL_URL) {
        throw new BadCall("SessionDurableObject only answers DurableObjectSessionStore's calls.");
      }
      const text = await request.text();
      if (text.length > MAX_CALL_BYTES) throw new BadCall("The call is too large.");
      return Response.json(await this.#answer(parseCall(text)));
    } catch (error) {
      if (error instanceof LateCall) {
        const failure: DurableObjectFailure = { error: error.message, kind: "late" };
        return Response.json(failure, { status: 409 });
      }
      if (error instanceof BadCall || error instanceof SetupProblem) {
        const failure: DurableObjectFailure = { error: error.message, kind: error instanceof SetupProblem ? "setup" : "bad-call" };
        return Response.json(failure, { status: error instanceof SetupProblem ? 500 : 400 });
      }
      throw error;
    }
  }

  /** Deletes what expired, then waits for the next deadline, or frees the object's storage when nothing is left. */
  async alarm(): Promise<void> {
    if (!this.#tableExists()) return;
    this.#sql("DELETE FROM sessions WHERE expires_at <= ?", Date.now());
    const next = this.#sql("SELECT MIN(expires_at) AS next FROM sessions")[0]?.["next"];
    if (typeof next === "number") await this.#state.storage.setAlarm(next);
    else await this.#freeIfEmpty();
  }

  async #answer(call: DurableObjectCall): Promise<DurableObjectAnswers[DurableObjectCall["op"]]> {
    const now = Date.now();
    // The store gave up on this call and reported it failed: begun now, it would land after that.
    if ("deadline" in call && call.deadline !== undefined && now > call.deadline) {
      throw new LateCall(`The call arrived ${now - call.deadline} ms after its deadline; nothing was changed.`);
    }
    switch (call.op) {
      case "load": {
        if (!this.#tableExists()) return { record: null };
        const row = this.#sql("SELECT record, expires_at FROM sessions WHERE id_hash = ?", call.id)[0];
        if (!row) return { record: null };
        if ((row["expires_at"] as number) > now) return { record: row["record"] as string };
        this.#sql("DELETE FROM sessions WHERE id_hash = ?", call.id);
        await this.#freeIfEmpty();
        return { record: null };
      }
      case "create": {
        this.#createTable();
        if (this.#sql("SELECT 1 FROM sessions WHERE id_hash = ?", call.id).length > 0) return { created: false };
        this.#insert(call.id, call);
        await this.#alarmBy(call.expiresAt);
        return { created: true };
      }
      case "update": {
        if (!this.#tableExists()) return { updated: false };
        const updated = this.#sql(
          "UPDATE sessions SET record = ?, expires_at = ?, user_hash = ?, handle = ? WHERE id_hash = ? AND expires_at > ? RETURNING 1",
          call.record,
          call.expiresAt,
          call.user,
          call.handle,
          call.id,
          now,
        ).length;
        if (updated > 0) await this.#alarmBy(call.expiresAt);
        return { updated: updated > 0 };
      }
      case "destroy": {
        if (!this.#tableExists()) return { alive: false };
        const [row] = this.#sql("DELETE FROM sessions WHERE id_hash = ? RETURNING expires_at", call.id);
        await this.#freeIfEmpty();
        return { alive: row !== undefined && (row["expires_at"] as number) > now };
      }
      case "rotate": {
        if (!this.#tableExists()) return { outcome: "gone" };
        const outcome = this.#transaction((): DurableObjectAnswers["rotate"]["outcome"] => {
          if (this.#sql("SELECT 1 FROM sessions WHERE id_hash = ?", call.id).length > 0) return "taken";
          const [old] = this.#sql("DELETE FROM sessions WHERE id_hash = ? RETURNING expires_at", call.old);
          if (old === undefined || (old["expires_at"] as number) <= now) return "gone";
          this.#insert(call.id, call);
          return "rotated";
        });
        if (outcome === "rotated") await this.#alarmBy(call.expiresAt);
        else await this.#freeIfEmpty();
        return { outcome };
      }
      case "list": {
        if (!this.#tableExists()) return { sessions: [] };
        const rows = this.#sql(
          "SELECT handle, record FROM sessions WHERE user_hash = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT ?",
          call.user,
          now,
          call.limit,
        );
        return { sessions: rows.map((row) => ({ handle: row["handle"] as string, record: row["record"] as string })) };
      }
      case "revoke": {
        if (!this.#tableExists()) return { revoked: 0 };
        const revoked = this.#sql("DELETE FROM sessions WHERE user_hash = ? AND handle = ? RETURNING 1", call.user, call.handle).length;
        await this.#freeIfEmpty();
        return { revoked };
      }
      case "revokeAll": {
        if (!this.#tableExists()) return { revoked: 0 };
        const revoked = this.#sql("DELETE FROM sessions WHERE user_hash = ? AND handle IS NOT ? RETURNING 1", call.user, call.except).length;
        await this.#freeIfEmpty();
        return { revoked };
      }
    }
  }

  #insert(id: string, fields: RowFields): void {
    this.#sql(
      "INSERT INTO sessions (id_hash, record, expires_at, user_hash, handle) VALUES (?, ?, ?, ?, ?)",
      id,
      fields.record,
      fields.expiresAt,
      fields.user,
      fields.handle,
    );
  }

  /** The alarm fires at the earliest deadline of any session here. */
  async #alarmBy(expiresAt: number): Promise<void> {
    const current = await this.#state.storage.getAlarm();
    if (current === null || current > expiresAt) await this.#state.storage.setAlarm(expiresAt);
  }

  /** An object with no session left keeps no storage, and no alarm. */
  async #freeIfEmpty(): Promise<void> {
    if (this.#sql("SELECT 1 FROM sessions LIMIT 1").length > 0) return;
    await this.#state.storage.deleteAlarm();
    await this.#state.storage.deleteAll();
    this.#hasTable = false;
  }

  #tableExists(): boolean {
    this.#hasTable ??= this.#sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").length > 0;
    return this.#hasTable;
  }

  #createTable(): void {
    if (this.#tableExists()) return;
    for (const statement of SCHEMA) this.#sql(statement);
    this.#hasTable = true;
  }

  #transaction<T>(work: () => T): T {
    const { transactionSync } = this.#state.storage;
    return typeof transactionSync === "function" ? (transactionSync.call(this.#state.storage, work) as T) : work();
  }

  #sql(query: string, ...bindings: unknown[]): Record<string, unknown>[] {
    return this.#sqlStorage()
      .exec(query, ...bindings)
      .toArray();
  }

  /** The object's SQL storage, checked once per instance: workerd refuses SQL to a class bound without it. */
  #sqlStorage(): SqlStorageLike {
    if (this.#checkedSql) return this.#checkedSql;
    let refusal = "";
    try {
      const sql = this.#state.storage.sql;
      if (sql) {
        sql.exec("SELECT 1");
        return (this.#checkedSql = sql);
      }
    } catch (error) {
      refusal = ` (${error instanceof Error ? error.message : String(error)})`;
    }
    throw new SetupProblem(
      "SessionDurableObject needs SQLite storage: declare it under `new_sqlite_classes` in your wrangler migrations " +
        `(\`"migrations": [{ "tag": "v1", "new_sqlite_classes": ["SessionDurableObject"] }]\`), not \`new_classes\`${refusal}`,
    );
  }
}

/** The call, checked field by field: an object is reachable from any code of the Worker, so it trusts no shape. */
function parseCall(text: string): DurableObjectCall {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadCall("The call is not JSON.");
  }
  if (typeof body !== "object" || body === null) throw new BadCall("The call is not an object.");
  const call = body as Record<string, unknown>;
  const hash = (name: string) => {
    const value = call[name];
    if (typeof value !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new BadCall(`\`${name}\` must be a hash.`);
    return value;
  };
  const optionalHash = (name: string) => (call[name] === null || call[name] === undefined ? null : hash(name));
  const deadline = (): { deadline?: number } => {
    const value = call["deadline"];
    if (value === undefined) return {};
    if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new BadCall("`deadline` must be a whole number.");
    return { deadline: value };
  };
  const fields = (): RowFields => {
    const { record, expiresAt } = call;
    if (typeof record !== "string") throw new BadCall("`record` must be a string.");
    if (typeof expiresAt !== "number" || !Number.isSafeInteger(expiresAt)) throw new BadCall("`expiresAt` must be a whole number.");
    return { record, expiresAt, user: optionalHash("user"), handle: optionalHash("handle") };
  };
  switch (call["op"]) {
    case "load":
      return { op: "load", id: hash("id") };
    case "destroy":
      return { op: "destroy", id: hash("id"), ...deadline() };
    case "create":
    case "update":
      return { op: call["op"], id: hash("id"), ...fields(), ...deadline() };
    case "rotate":
      return { op: "rotate", old: hash("old"), id: hash("id"), ...fields(), ...deadline() };
    case "list": {
      // A store of an older version sends no limit (the object may be bound from another Worker): SQLite's LIMIT -1 is none.
      const { limit = -1 } = call;
      if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < -1 || limit === 0)
        throw new BadCall("`limit` must be a whole number, 1 or more.");
      return { op: "list", user: hash("user"), limit };
    }
    case "revoke":
      return { op: "revoke", user: hash("user"), handle: hash("handle") };
    case "revokeAll":
      return { op: "revokeAll", user: hash("user"), except: optionalHash("except") };
    default:
      throw new BadCall(`Unknown operation ${JSON.stringify(call["op"])}.`);
  }
}
