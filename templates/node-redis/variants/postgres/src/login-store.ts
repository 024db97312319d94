/**
 * Where login sessions and login attempt counters live on Node: PostgreSQL
 * (DATABASE_URL) in production; in development without DATABASE_URL, this
 * process's memory, so that `npm run dev` works on a machine with nothing
 * installed. Errors are thrown, never turned into an exit here: server.ts
 * owns process control.
 *
 * At start the sessions table (and the counters' table) is created if it
 * is missing, and expired sessions are deleted every hour: each new session
 * already deletes a few expired rows, the hourly sweep catches the rest
 * when logins are rare. A PostgreSQL outage is logged once when it starts
 * and once when it ends; pg.Pool reconnects by itself, and requests get a
 * 503 within the store's timeout meanwhile.
 */
import { PostgresSessionStore, UnsafeMemoryStore, type SessionStore } from "hattip-session";
import pg from "pg";
import type { StoreDescription } from "./app.js";
import { MemoryAttemptStore } from "./login-attempts-memory.js";
import { PostgresAttemptStore } from "./login-attempts-postgres.js";
import type { AttemptStore } from "./login-throttle.js";
import type { LoginSession } from "./session-data.js";

export interface LoginStore {
  store: SessionStore<LoginSession>;
  description: StoreDescription;
  /** Where it is, for the start-up line (no password). */
  location: string;
  /** Something the person starting the app must know. */
  warning?: string;
  loginAttempts: AttemptStore;
  checkStore?: () => Promise<boolean>;
  /** Resolves once the store answers (and is ready for sessions), or after `ms` with `false`. */
  waitUntilReachable(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Production without DATABASE_URL: sessions in memory would vanish on restart and differ per process. */
export class MissingDatabaseUrlError extends Error {
  override name = "MissingDatabaseUrlError";
  constructor() {
    super(
      "DATABASE_URL is not set. In production, sessions and login attempt counters must live in PostgreSQL: " +
        "set DATABASE_URL=postgres://user:password@host:5432/database (in .env or the host's settings), or use npm run dev to try the app without it.",
    );
  }
}

export interface OpenOptions {
  /** The settings: DATABASE_URL. */
  env: NodeJS.ProcessEnv;
  dev: boolean;
  /** Where to report an outage (once per outage). */
  log: (message: string) => void;
}

/** How long a request waits for PostgreSQL before it answers 503 (the store's timeout). */
const TIMEOUT_MS = 2_000;
/** How often every expired session is deleted. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

export function openLoginStore({ env, dev, log }: OpenOptions): LoginStore {
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl) return openPostgresStore(databaseUrl, dev, log);
  if (!dev) throw new MissingDatabaseUrlError();
  return {
    store: new UnsafeMemoryStore<LoginSession>(),
    description: { name: "this process's memory (development only)", cookieHolds: "id" },
    location: "in memory, development only",
    warning: [
      "WARNING: DATABASE_URL is not set, so sessions and login attempt counters are kept in this process's memory.",
      "  They vanish on every restart (and every reload on edit) and are not shared between processes.",
      "  Fine for trying the app, never for production. For a real PostgreSQL, set DATABASE_URL=postgres://127.0.0.1:5432/app in .env.",
    ].join("\n"),
    loginAttempts: new MemoryAttemptStore(),
    waitUntilReachable: async () => true,
    close: async () => {},
  };
}

function openPostgresStore(databaseUrl: string, dev: boolean, log: (message: string) => void): LoginStore {
  const location = redactPassword(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: TIMEOUT_MS, max: 10 });
  const store = new PostgresSessionStore<LoginSession>({ client: pool, timeout: TIMEOUT_MS });
  const loginAttempts = new PostgresAttemptStore(pool, TIMEOUT_MS);
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
    description: { name: "PostgreSQL", cookieHolds: "id" },
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

function redactPassword(url: string): string {
  if (!URL.canParse(url)) return "DATABASE_URL (not a valid URL)";
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
