/**
 * The session store the tests run the app against: a throwaway
 * redis-server. The tests reach the store only through this module, so
 * that a store variant (variants/ in the template) swaps this one file.
 */
import { startRedis } from "./redis-server.js";
import { TEST_TAG_SECRET } from "./tag-secret.js";

export interface TestStore {
  /** As the tests name it, like "Redis". */
  name: string;
  /** The app's settings that point at it. */
  env: Record<string, string>;
  /** How the store knows each login session (keys, row hashes): never the session ID itself. */
  sessionKeys(): Promise<string[]>;
  /** Login attempt counters it holds now. */
  attemptCounters(): Promise<number>;
  /** Each user's recent security activity as the store holds it: its key, how many entries, when it expires, and the stored text. */
  activityLogs(): Promise<Array<{ key: string; entries: number; expiresInSeconds: number; stored: string }>>;
  stop(): Promise<void>;
}

export async function startStore(): Promise<TestStore> {
  const redis = await startRedis();
  return {
    name: "Redis",
    env: { REDIS_URL: redis.url, SESSION_TAG_SECRET: TEST_TAG_SECRET },
    sessionKeys: () => redis.keys("session:*"),
    attemptCounters: async () => (await redis.keys("login-attempts:*")).length,
    activityLogs: async () =>
      Promise.all(
        (await redis.keys("activity:*")).map(async (key) => ({
          key,
          entries: Number(await redis.command("LLEN", key)),
          expiresInSeconds: Number(await redis.command("TTL", key)),
          stored: JSON.stringify(await redis.command("LRANGE", key, "0", "-1")),
        })),
      ),
    stop: () => redis.stop(),
  };
}
