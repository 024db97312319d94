/**
 * @hattip/session's RedisSessionStore speaks the callback API of node-redis
 * v3 (`get(key, cb)`, `set(key, value, "EX", seconds, cb)`, `del(key, cb)`).
 * This adapts a node-redis v6 client to it, one command for one command, so
 * that both libraries run against the same server and client.
 */

// biome-ignore lint/suspicious/noExplicitAny: the v3 callback shape @hattip/session declares
type Callback = (error: any, reply: any) => void;

interface PromiseClient {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { EX: number }): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

export function legacyRedisClient(client: PromiseClient) {
  const settle = (promise: Promise<unknown>, callback: Callback): void => {
    promise.then(
      (reply) => callback(null, reply),
      (error: unknown) => callback(error, null),
    );
  };
  return {
    get: (key: string, callback: Callback): void => settle(client.get(key), callback),
    set: (key: string, value: string, mode: string, duration: number, callback: Callback): void => {
      if (mode !== "EX") throw new Error(`unexpected SET mode ${mode}`);
      settle(client.set(key, value, { EX: duration }), callback);
    },
    del: (key: string, callback: Callback): void => settle(client.del(key), callback),
  };
}
