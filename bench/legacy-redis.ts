/**
 * @hattip/session's RedisSessionStore speaks the callback API of node-redis
 * v3 (`get(key, cb)`, `set(key, value, "EX", seconds, cb)`, `del(key, cb)`).
 * This adapts a node-redis v6 client to it, one command for one command, so
 * that both libraries run against the same server and client.
 */
import type { createClient } from "redis";

type Callback = (error: unknown, reply: unknown) => void;
type ModernClient = ReturnType<typeof createClient>;

export function legacyRedisClient(client: ModernClient) {
  const settle = (promise: Promise<unknown>, callback: Callback) =>
    promise.then((reply) => callback(null, reply), (error: unknown) => callback(error, null));
  return {
    get: (key: string, callback: Callback) => void settle(client.get(key), callback),
    set: (key: string, value: string, mode: string, duration: number, callback: Callback) => {
      if (mode !== "EX") throw new Error(`unexpected SET mode ${mode}`);
      void settle(client.set(key, value, { EX: duration }), callback);
    },
    del: (key: string, callback: Callback) => void settle(client.del(key), callback),
  };
}
