/**
 * Sessions and login attempt counters in PostgreSQL (DATABASE_URL): one
 * pg.Pool for both, the tables created at start if missing, and expired
 * rows deleted every hour (each new session already deletes a few expired
 * ones; the hourly sweep catches the rest when logins are rare).
 *
 * A PostgreSQL outage is logged once when it starts and once when it ends;
 * pg.Pool opens a new connection for the next query by itself, and requests
 * get a 503 within the store's timeout meanwhile.
 */
import type { PostgresSessionStore } from "hattip-session";
import pg from "pg";
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
    (ready ??= Promise.all([store.createTable(), loginAttempts.createTable()]).then(
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
      .then(() => Promise.all([store.deleteExpired(), loginAttempts.deleteExpired()]))
      .catch(() => {});
  }, SWEEP_EVERY_MS);
  sweep.unref();

  return {
    store,
    location: `PostgreSQL at ${location}`,
    loginAttempts,
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
