/**
 * Sessions and login attempt counters in PostgreSQL (DATABASE_URL): one
 * pg.Pool for both, the tables created at start if missing, and expired
 * rows deleted every hour (each new session already deletes a few expired
 * ones; the hourly sweep catches the rest when logins are rare).
 *
 * A PostgreSQL outage is logged once when it starts and once when it ends;
 * pg.Pool opens a new connection for the next query by itself, and requests
 * get a 503 within the store's timeout meanwhile.
 *
 * "Recent security activity" (activity.ts) is a table here too: one row per
 * entry under a keyed hash of the user name, pruned to each user's last
 * entries as each is added, and by age in the hourly sweep.
 */
import type { PostgresSessionStore } from "hattip-session";
import pg from "pg";
import type { ActivityEntry, ActivityStorage } from "./activity.js";
import { redactPassword, withTimeout } from "./connection.js";
import { PostgresAttemptStore } from "./login-attempts-postgres.js";
import type { ConnectOptions, StoreConnection } from "./login-store.js";
import type { LoginSession } from "./session-data.js";

/** How long a request waits for PostgreSQL before it answers 503 (the store's timeout). */
export const POSTGRES_TIMEOUT_MS = 2_000;
/** How often every expired session is deleted. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

export function openPostgresStore(
  url: string,
  { dev, log, createSessionStore }: ConnectOptions<(pool: pg.Pool) => PostgresSessionStore<LoginSession>>,
): StoreConnection {
  const location = redactPassword(url, "DATABASE_URL");
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: POSTGRES_TIMEOUT_MS, max: 10 });
  const store = createSessionStore(pool);
  const loginAttempts = new PostgresAttemptStore(pool, POSTGRES_TIMEOUT_MS);
  const activityStorage = new PostgresActivityStorage(pool);
  let down = false;
  const outage = (error: Error) => {
    if (down) return;
    down = true;
    log(
      dev
        ? `PostgreSQL at ${location} is not reachable (${error.message}). Pages answer 503 until it is.\n` +
            "  Start one (`docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres`),\n" +
            "  or remove DATABASE_URL to keep sessions in this process's memory while you try the app."
        : `PostgreSQL at ${location} is not reachable (${error.message}). /health answers 503 until it is back.`,
    );
  };
  const back = () => {
    if (!down) return;
    down = false;
    log(`PostgreSQL at ${location} is reachable again.`);
  };
  // An idle connection that the server drops is reported here; without a listener it would end the process.
  pool.on("error", outage);

  /** Creates the tables if they are missing; retried until it succeeds, so a database that starts later is fine. */
  let ready: Promise<void> | undefined;
  const prepare = (): Promise<void> =>
    (ready ??= Promise.all([store.createTable(), loginAttempts.createTable(), activityStorage.createTable()]).then(
      () => back(),
      (error: Error) => {
        ready = undefined;
        outage(error);
        throw error;
      },
    ));
  const firstPrepare = prepare().then(
    () => true,
    () => false,
  );
  const sweep = setInterval(() => {
    void prepare()
      .then(() => Promise.all([store.deleteExpired(), loginAttempts.deleteExpired(), activityStorage.deleteExpired()]))
      .catch(() => {});
  }, SWEEP_EVERY_MS);
  sweep.unref();

  return {
    store,
    location: `PostgreSQL at ${location}`,
    loginAttempts,
    activityStorage,
    async checkStore() {
      try {
        await prepare();
        await withTimeout(pool.query("SELECT 1"), 1_000);
        back();
        return true;
      } catch (error) {
        outage(error as Error);
        return false;
      }
    },
    waitUntilReachable: (ms) => withTimeout(firstPrepare, ms).catch(() => false),
    async close() {
      clearInterval(sweep);
      await pool.end();
    },
  };
}

const ACTIVITY_TABLE = "hattip_security_activity";

/** One row per entry; `id` orders a user's entries, `expires_at` is when the sweep may delete one. */
const ACTIVITY_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${ACTIVITY_TABLE} (
  id bigserial PRIMARY KEY,
  user_key text NOT NULL,
  entry jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${ACTIVITY_TABLE}_user_key ON ${ACTIVITY_TABLE} (user_key, id DESC);
CREATE INDEX IF NOT EXISTS ${ACTIVITY_TABLE}_expires_at ON ${ACTIVITY_TABLE} (expires_at);`;

/**
 * Adds the entry and deletes the user's rows beyond the newest `limit`, in
 * one statement. Its DELETE sees the table as it was before the INSERT, so
 * it keeps the `limit - 1` newest of those; two appends at the same moment
 * may leave one row more until the next, which `recent` never shows.
 */
const APPEND_SQL = `WITH added AS (
  INSERT INTO ${ACTIVITY_TABLE} (user_key, entry, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING id
)
DELETE FROM ${ACTIVITY_TABLE}
WHERE user_key = $1
  AND (expires_at < now() OR id NOT IN (SELECT id FROM ${ACTIVITY_TABLE} WHERE user_key = $1 ORDER BY id DESC LIMIT $4))`;

class PostgresActivityStorage implements ActivityStorage {
  constructor(private readonly pool: pg.Pool) {}

  async createTable(): Promise<void> {
    await this.pool.query(ACTIVITY_TABLE_SQL);
  }

  /** Deletes every entry past its age; returns how many. */
  async deleteExpired(): Promise<number> {
    return (await this.pool.query(`DELETE FROM ${ACTIVITY_TABLE} WHERE expires_at < now()`)).rowCount ?? 0;
  }

  async append(key: string, entry: ActivityEntry, { limit, maxAgeSeconds }: { limit: number; maxAgeSeconds: number }): Promise<void> {
    await withTimeout(this.pool.query(APPEND_SQL, [key, JSON.stringify(entry), maxAgeSeconds, limit - 1]), POSTGRES_TIMEOUT_MS);
  }

  async recent(key: string, limit: number): Promise<unknown[]> {
    const result = await withTimeout(
      this.pool.query<{ entry: unknown }>(
        `SELECT entry FROM ${ACTIVITY_TABLE} WHERE user_key = $1 AND expires_at > now() ORDER BY id DESC LIMIT $2`,
        [key, limit],
      ),
      POSTGRES_TIMEOUT_MS,
    );
    return result.rows.map((row) => row.entry);
  }
}
