/**
 * Where login sessions live on Node: Redis in production; in development
 * without REDIS_URL, this process's memory, so that `npm run dev` works
 * on a machine with nothing installed.
 */
import { RedisSessionStore, UnsafeMemoryStore, type SessionStore } from "hattip-session";
import { createRedisClient, redisDurability } from "./redis-client.js";
import { parseLoginSession, type LoginSession } from "./session-data.js";

export interface LoginStore {
  store: SessionStore<LoginSession>;
  /** For the start-up line. */
  description: string;
  close(): Promise<void>;
}

export class MissingRedisUrlError extends Error {
  override name = "MissingRedisUrlError";
}

export async function openLoginStore({ redisUrl, dev }: { redisUrl: string | undefined; dev: boolean }): Promise<LoginStore> {
  if (redisUrl) return openRedisStore(redisUrl);
  if (!dev) {
    console.error(
      "REDIS_URL is not set. In production, sessions must live in Redis: " +
        "start with REDIS_URL=redis://host:6379 npm start (or use npm run dev to try the app without Redis).",
    );
    process.exit(1);
  }
  warnAboutMemoryStore();
  return {
    store: new UnsafeMemoryStore<LoginSession>({ serializationOptions: { parse: parseLoginSession } }),
    description: "in memory, development only",
    close: async () => {},
  };
}

async function openRedisStore(redisUrl: string): Promise<LoginStore> {
  // One client for the process; the store connects it on first use and turns outages into 503s.
  const client = createRedisClient(redisUrl);
  client.on("error", (error: Error) => console.error(`Redis: ${error.message}`));
  return {
    store: new RedisSessionStore<LoginSession>({
      getClient: () => client,
      prefix: "session:",
      durability: redisDurability(),
      serializationOptions: { parse: parseLoginSession },
    }),
    description: `Redis at ${redactPassword(redisUrl)}`,
    async close() {
      if (client.isOpen) client.destroy();
    },
  };
}

function redactPassword(url: string): string {
  if (!URL.canParse(url)) return "REDIS_URL";
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

function warnAboutMemoryStore(): void {
  const line = "=".repeat(72);
  console.warn(
    [
      line,
      " WARNING: REDIS_URL is not set, so sessions are kept in this process's memory.",
      " They vanish on every restart and are not shared between processes.",
      " That is fine for trying the app, never for production. For a real Redis:",
      "   REDIS_URL=redis://127.0.0.1:6379 npm run dev",
      line,
    ].join("\n"),
  );
}
