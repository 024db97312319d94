/**
 * Sessions and login attempt counters in Redis (REDIS_URL): the client
 * (redis-client.ts, which also reaches Sentinel and Cluster deployments),
 * connected at start so that an outage shows at once, and the health check.
 *
 * A Redis outage is logged once when it starts and once when it ends, not
 * on every reconnect attempt; the client retries meanwhile (redis-client.ts
 * says how often), and requests get a 503 at once instead of waiting.
 */
import type { SessionStore } from "hattip-session";
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
