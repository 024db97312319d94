/**
 * Where login sessions and login attempt counters live on Node: PostgreSQL
 * (DATABASE_URL, postgres-store.ts) in production; in development without
 * DATABASE_URL, this process's memory, so that `npm run dev` works on a
 * machine with nothing installed. Errors are thrown, never turned into an exit
 * here: server.ts owns process control.
 */
import { PostgresSessionStore, type SessionCacheOptions, type SessionStore, UnsafeMemoryStore } from "hattip-session";
import { type ActivityLog, type ActivityStorage, keyedActivityLog, MemoryActivityStorage } from "./activity.js";
import type { StoreDescription } from "./app.js";
import { MemoryAttemptStore } from "./login-attempts-memory.js";
import type { AttemptStore } from "./login-throttle.js";
import { openPostgresStore, POSTGRES_TIMEOUT_MS } from "./postgres-store.js";
import { sessionCacheFromSetting } from "./session-cache.js";
import type { LoginSession } from "./session-data.js";
import { userTagSecretFromSetting } from "./user-tag.js";

/** The secrets `npm run dev` makes and keeps in .env when they are missing (server.ts); production requires them. */
export const DEV_SECRETS: readonly string[] = ["SESSION_TAG_SECRET", "SESSION_CACHE_KEYS"];

export interface LoginStore {
  store: SessionStore<LoginSession>;
  description: StoreDescription;
  /** Where it is, for the start-up line (no password). */
  location: string;
  /** Something the person starting the app must know. */
  warning?: string;
  loginAttempts: AttemptStore;
  /** Where "Recent security activity" is kept (activity.ts): beside the sessions, each user's log under a keyed hash of the name. */
  activityLog: ActivityLog;
  checkStore?: () => Promise<boolean>;
  /** The session cache's option (session-cache.ts), where this store turns it on. */
  sessionCache?: () => Promise<SessionCacheOptions>;
  /** Resolves once the store answers (and is ready for sessions), or after `ms` with `false`. */
  waitUntilReachable(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** What a store's module opens: all of a LoginStore but how the app names it, and the activity's storage before it is keyed by SESSION_TAG_SECRET. */
export type StoreConnection = Omit<LoginStore, "description" | "activityLog"> & { activityStorage: ActivityStorage };

/** What a store's module is given: the mode, where to report an outage, and how to make the session store on its client. */
export interface ConnectOptions<CreateSessionStore> {
  dev: boolean;
  log: (message: string) => void;
  createSessionStore: CreateSessionStore;
}

/** Production without DATABASE_URL: sessions in memory would vanish on restart and differ per process. */
export class MissingStoreUrlError extends Error {
  override name = "MissingStoreUrlError";
  constructor() {
    super(
      "DATABASE_URL is not set. In production, sessions and login attempt counters must live in PostgreSQL: " +
        "set DATABASE_URL=postgres://user:password@host:5432/database (in .env or the host's settings), or use npm run dev to try the app without it.",
    );
  }
}

export interface OpenOptions {
  /** The settings (README.md, "Settings"). */
  env: NodeJS.ProcessEnv;
  dev: boolean;
  /** Where to report an outage (once per outage). */
  log: (message: string) => void;
}

export function openLoginStore({ env, dev, log }: OpenOptions): LoginStore {
  const url = env.DATABASE_URL;
  if (url) {
    const { activityStorage, ...connection } = openPostgresStore(url, {
      dev,
      log,
      createSessionStore: (pool) =>
        new PostgresSessionStore<LoginSession>({
          client: pool,
          timeout: POSTGRES_TIMEOUT_MS,
          userTagSecret: userTagSecretFromSetting(env.SESSION_TAG_SECRET),
        }),
    });
    return {
      ...connection,
      activityLog: keyedActivityLog(activityStorage, userTagSecretFromSetting(env.SESSION_TAG_SECRET)),
      description: { name: "PostgreSQL", cookieHolds: "id" },
      sessionCache: () => sessionCacheFromSetting(env.SESSION_CACHE_KEYS),
    };
  }
  if (!dev) throw new MissingStoreUrlError();
  return {
    store: new UnsafeMemoryStore<LoginSession>(),
    description: { name: "this process's memory (development only)", cookieHolds: "id" },
    location: "in memory, development only",
    warning: [
      "WARNING: DATABASE_URL is not set, so sessions and login attempt counters are kept in this process's memory.",
      "  They vanish on every restart (and every reload on edit) and are not shared between processes.",
      "  Fine for trying the app, never for production. For a real PostgreSQL, set DATABASE_URL in .env (see .env.example).",
    ].join("\n"),
    loginAttempts: new MemoryAttemptStore(),
    // Gone with the process like the sessions beside it; keyed all the same, as every store's log is.
    activityLog: keyedActivityLog(new MemoryActivityStorage(), userTagSecretFromSetting(env.SESSION_TAG_SECRET)),
    waitUntilReachable: async () => true,
    close: async () => {},
  };
}
