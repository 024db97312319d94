/**
 * Where login sessions and login attempt counters live on Node: Redis in
 * production; in development without REDIS_URL, this process's memory, so
 * that `npm run dev` works on a machine with nothing installed. Errors are
 * thrown, never turned into an exit here: server.ts owns process control.
 *
 * A Redis outage is logged once when it starts and once when it ends, not
 * on every reconnect attempt; the client retries with backoff meanwhile
 * (redis-client.ts, which also reaches Sentinel and Cluster deployments),
 * and requests get a 503 at once instead of waiting.
 */
import { RedisSessionStore, UnsafeMemoryStore, type SessionStore } from "hattip-session";
import type { StoreDescription } from "./app.js";
import { MemoryAttemptStore } from "./login-attempts-memory.js";
import { RedisAttemptStore } from "./login-attempts-redis.js";
import type { AttemptStore } from "./login-throttle.js";
import { createRedisClient, redisDurability } from "./redis-client.js";
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

/** Production without REDIS_URL: sessions in memory would vanish on restart and differ per process. */
export class MissingRedisUrlError extends Error {
  override name = "MissingRedisUrlError";
  constructor() {
    super(
      "REDIS_URL is not set. In production, sessions and login attempt counters must live in Redis: " +
        "set REDIS_URL=redis://host:6379 (in .env or the host's settings), or use npm run dev to try the app without Redis.",
    );
  }
}

export interface OpenOptions {
  /** The settings: REDIS_URL (and the REDIS_WAIT_* of redis-client.ts). */
  env: NodeJS.ProcessEnv;
  dev: boolean;
  /** Where to report a Redis outage (once per outage). */
  log: (message: string) => void;
}

export function openLoginStore({ env, dev, log }: OpenOptions): LoginStore {
  const redisUrl = env.REDIS_URL;
  if (redisUrl) return openRedisStore(redisUrl, env, dev, log);
  if (!dev) throw new MissingRedisUrlError();
  return {
    store: new UnsafeMemoryStore<LoginSession>(),
    description: { name: "this process's memory (development only)", cookieHolds: "id" },
    location: "in memory, development only",
    warning: [
      "WARNING: REDIS_URL is not set, so sessions and login attempt counters are kept in this process's memory.",
      "  They vanish on every restart (and every reload on edit) and are not shared between processes.",
      "  Fine for trying the app, never for production. For a real Redis, set REDIS_URL=redis://127.0.0.1:6379 in .env.",
    ].join("\n"),
    loginAttempts: new MemoryAttemptStore(),
    waitUntilReachable: async () => true,
    close: async () => {},
  };
}

function openRedisStore(redisUrl: string, env: NodeJS.ProcessEnv, dev: boolean, log: (message: string) => void): LoginStore {
  const client = createRedisClient(redisUrl);
  const location = redactPassword(redisUrl);
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    log(
      dev
        ? `Redis at ${location} is not reachable (${error.message}). Pages answer 503 until it is.\n` +
            "  Start one with `redis-server` (or `docker run --rm -p 6379:6379 redis`),\n" +
            "  or remove REDIS_URL to keep sessions in this process's memory while you try the app."
        : `Redis at ${location} is not reachable (${error.message}). Retrying with backoff; /health answers 503 until it is back.`,
    );
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    log(`Redis at ${location} is reachable again.`);
  });
  // Connect now rather than on the first request, so an outage shows at start-up; node-redis keeps retrying.
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  return {
    store: new RedisSessionStore<LoginSession>({ getClient: () => client, prefix: "session:", durability: redisDurability(env) }),
    description: { name: "Redis", cookieHolds: "id" },
    location: `Redis at ${location}`,
    loginAttempts: new RedisAttemptStore(client),
    async checkStore() {
      if (!client.isReady) return false;
      return (await withTimeout(client.ping(), 1_000)) === "PONG";
    },
    waitUntilReachable: (ms) => withTimeout(connected, ms).catch(() => false),
    async close() {
      // A Sentinel client's destroy() returns a promise; a plain client's returns nothing.
      if (client.isOpen) await client.destroy();
    },
  };
}

function redactPassword(url: string): string {
  if (!URL.canParse(url)) return "REDIS_URL (not a valid URL)";
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
