/**
 * Login attempt counters in PostgreSQL: shared by every process of the app
 * and kept across restarts, so neither more processes nor a crash hands a
 * guesser fresh attempts. One row per counter; an attempt is one short
 * transaction that locks the counter's row (created first if missing, so
 * that two first attempts cannot both start from zero) and applies the rule
 * of login-throttle.ts (`nextAttempt`), so concurrent attempts on any
 * process are counted one by one. Rows idle for longer than the rule
 * forgets are deleted by `deleteExpired()` (login-store.ts runs it hourly).
 * The key that seals device cookies is one row of a table of its own, made
 * by whichever process asks first.
 */
import type pg from "pg";
import { withTimeout } from "./connection.js";
import { newDeviceKey } from "./device-cookie.js";
import {
  afterSuccess,
  nextAttempt,
  ThrottleUnavailableError,
  type AttemptState,
  type AttemptStore,
  type AttemptVerdict,
  type LockoutRule,
} from "./login-throttle.js";

const TABLE = "hattip_login_attempts";
/** Keys the login throttle keeps; `deleteExpired()` never touches them. */
const KEYS_TABLE = "hattip_login_keys";

/** The counters' table (`forget_at` is when a counter with no further attempt may be deleted), and the keys' table. */
export const LOGIN_ATTEMPTS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  key text PRIMARY KEY,
  count integer NOT NULL DEFAULT 0,
  locked_until bigint NOT NULL DEFAULT 0,
  last_attempt_at bigint NOT NULL DEFAULT 0,
  forget_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${TABLE}_forget_at ON ${TABLE} (forget_at);
CREATE TABLE IF NOT EXISTS ${KEYS_TABLE} (
  name text PRIMARY KEY,
  key text NOT NULL
);`;

interface Row {
  count: number;
  locked_until: string;
  last_attempt_at: string;
}

export class PostgresAttemptStore implements AttemptStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly timeoutMs: number,
  ) {}

  async createTable(): Promise<void> {
    await this.pool.query(LOGIN_ATTEMPTS_TABLE_SQL);
  }

  /** Deletes the counters nobody tried for longer than their rule remembers; returns how many. */
  async deleteExpired(): Promise<number> {
    return (await this.pool.query(`DELETE FROM ${TABLE} WHERE forget_at < now()`)).rowCount ?? 0;
  }

  async attempt(key: string, rule: LockoutRule): Promise<AttemptVerdict> {
    return this.#transaction(key, async (client, stored) => {
      const { state, verdict } = nextAttempt(stored, rule, Date.now());
      await this.#write(client, key, state, rule);
      return verdict;
    });
  }

  async succeeded(key: string, _rule: LockoutRule, forget: boolean): Promise<void> {
    await this.#transaction(key, async (client, stored) => {
      const state = afterSuccess(stored, forget);
      if (state) await this.#write(client, key, state, _rule);
      else await client.query(`DELETE FROM ${TABLE} WHERE key = $1`, [key]);
    });
  }

  async deviceKey(): Promise<string> {
    const read = async () => {
      // The first process to ask stores its key; every other one, then and later, reads that one.
      await this.pool.query(`INSERT INTO ${KEYS_TABLE} (name, key) VALUES ('device-cookie', $1) ON CONFLICT (name) DO NOTHING`, [newDeviceKey()]);
      const { rows } = await this.pool.query<{ key: string }>(`SELECT key FROM ${KEYS_TABLE} WHERE name = 'device-cookie'`);
      if (!rows[0]) throw new Error("the device cookie key row is missing");
      return rows[0].key;
    };
    try {
      return await withTimeout(read(), this.timeoutMs);
    } catch (error) {
      throw new ThrottleUnavailableError(`The login throttle's key could not be read: ${(error as Error).message}`, { cause: error });
    }
  }

  async #write(client: pg.PoolClient, key: string, state: AttemptState, rule: LockoutRule): Promise<void> {
    await client.query(
      `UPDATE ${TABLE} SET count = $2, locked_until = $3, last_attempt_at = $4,
         forget_at = to_timestamp(($4::bigint + $5::bigint) / 1000.0) WHERE key = $1`,
      [key, state.count, state.lockedUntil, state.lastAttemptAt, rule.forgetAfterMs],
    );
  }

  async #transaction<T>(key: string, work: (client: pg.PoolClient, stored: AttemptState | undefined) => Promise<T>): Promise<T> {
    let client: pg.PoolClient | undefined;
    let broken = false;
    let finished = false;
    const run = async () => {
      const connected = await this.pool.connect();
      // The wait ended before a connection came: hand it back, closed, to no one.
      if (finished) return void connected.release(true) as never;
      client = connected;
      await client.query("BEGIN");
      await client.query(`INSERT INTO ${TABLE} (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, [key]);
      const { rows } = await client.query<Row>(`SELECT count, locked_until, last_attempt_at FROM ${TABLE} WHERE key = $1 FOR UPDATE`, [key]);
      const row = rows[0];
      // A row just inserted holds no attempt yet: last_attempt_at 0 is "never".
      const stored: AttemptState | undefined =
        row && Number(row.last_attempt_at) > 0
          ? { count: row.count, lockedUntil: Number(row.locked_until), lastAttemptAt: Number(row.last_attempt_at) }
          : undefined;
      const result = await work(client, stored);
      await client.query("COMMIT");
      return result;
    };
    try {
      return await withTimeout(run(), this.timeoutMs);
    } catch (error) {
      broken = true;
      throw new ThrottleUnavailableError(`The login attempt counters did not answer: ${(error as Error).message}`, { cause: error });
    } finally {
      finished = true;
      // A connection left mid-transaction (an error, a timeout) is closed rather than handed to the next request.
      (client as pg.PoolClient | undefined)?.release(broken ? true : undefined);
    }
  }
}
