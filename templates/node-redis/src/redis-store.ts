/**
 * Sessions and login attempt counters in Redis (REDIS_URL): the client
 * (redis-client.ts, which also reaches Sentinel and Cluster deployments),
 * connected at start so that an outage shows at once, and the health check.
 *
 * A Redis outage is logged once when it starts and once when it ends, not
 * on every reconnect attempt; the client retries meanwhile (redis-client.ts
 * says how often), and requests get a 503 at once instead of waiting.
 *
 * "Recent security activity" (activity.ts) lives here too: one list per
 * user, `activity:<keyed hash of the user name>`, newest first, trimmed to
 * the last entries and expiring after the last one, in one MULTI.
 */
import type { SessionStore } from "hattip-session";
import type { ActivityEntry, ActivityStorage } from "./activity.js";
import { redactPassword, withTimeout } from "./connection.js";
import { RedisAttemptStore } from "./login-attempts-redis.js";
import type { ConnectOptions, StoreConnection } from "./login-store.js";
import { createRedisClient } from "./redis-client.js";
import type { LoginSession } from "./session-data.js";

export type RedisClient = ReturnType<typeof createRedisClient>;

export function openRedisStore(
  url: string,
  { dev, log, createSessionStore }: ConnectOptions<(client: RedisClient) => SessionStore<LoginSession>>,
): StoreConnection {
  const client = createRedisClient(url);
  const location = redactPassword(url, "REDIS_URL");
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    log(
      dev
        ? `Redis at ${location} is not reachable (${error.message}). Pages answer 503 until it is.\n` +
            "  Start one with `redis-server` (or `docker run --rm -p 6379:6379 redis`),\n" +
            "  or remove REDIS_URL to keep sessions in this process's memory while you try the app."
        : `Redis at ${location} is not reachable (${error.message}). Retrying; /health answers 503 until it is back.`,
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
    store: createSessionStore(client),
    activityStorage: new RedisActivityStorage(client),
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

const ACTIVITY_PREFIX = "activity:";
/** An activity write or read gives up after this long: a slow Redis must not hold a response up for long. */
const ACTIVITY_TIMEOUT_MS = 2_000;

/** Each user's log a Redis list: LPUSH the newest, LTRIM to the cap and EXPIRE, all in one MULTI so no reader sees it half-done. */
class RedisActivityStorage implements ActivityStorage {
  constructor(private readonly client: RedisClient) {}

  async append(key: string, entry: ActivityEntry, { limit, maxAgeSeconds }: { limit: number; maxAgeSeconds: number }): Promise<void> {
    const list = ACTIVITY_PREFIX + key;
    this.#requireReady();
    await withTimeout(
      this.client
        .multi()
        .lPush(list, JSON.stringify(entry))
        .lTrim(list, 0, limit - 1)
        .expire(list, maxAgeSeconds)
        .exec(),
      ACTIVITY_TIMEOUT_MS,
    );
  }

  async recent(key: string, limit: number): Promise<unknown[]> {
    this.#requireReady();
    const items = await withTimeout(this.client.lRange(ACTIVITY_PREFIX + key, 0, limit - 1), ACTIVITY_TIMEOUT_MS);
    return items.flatMap((item) => {
      try {
        return [JSON.parse(item) as unknown];
      } catch {
        return [];
      }
    });
  }

  /** Never waits on node-redis's offline queue: while Redis is away, the activity is skipped at once. */
  #requireReady(): void {
    if (!this.client.isReady) throw new Error("Redis is not connected.");
  }
}
