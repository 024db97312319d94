/**
 * Every bundled store, each on its real backend (a redis-server started for
 * the file, workerd's KV through Miniflare), with a count of the writes it
 * made: what the feature tests run against when a feature concerns every
 * store. Call `useEveryStore()` at the top of a test file.
 */
import { Miniflare } from "miniflare";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import {
  EncryptedCookieStore,
  KvSessionStore,
  RedisSessionStore,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
  type KvNamespaceLike,
  type SessionStore,
} from "../../src/index.js";
import { startRedis, type RedisServer } from "./redis-server.js";

export interface StoreKit {
  name: string;
  /** `true` when sessions live on the server (the cookie holds an ID). */
  serverSide: boolean;
  /** `true` when the client can edit what the store keeps. */
  clientEditable?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each test types its own data
  make(): Promise<SessionStore<any>>;
  /**
   * Writes to the backend so far, where there is a backend to ask (Redis,
   * KV); cookie stores write only through Set-Cookie headers.
   */
  writes?(): Promise<number>;
}

export function useEveryStore(): StoreKit[] {
  let redis: RedisServer;
  let client: ReturnType<typeof createClient>;
  let miniflare: Miniflare;
  let kv: KvNamespaceLike;
  let kvPuts = 0;

  beforeAll(async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url });
    miniflare = new Miniflare({ modules: true, script: "export default { fetch: () => new Response() }", kvNamespaces: ["SESSIONS"] });
    const namespace = (await miniflare.getKVNamespace("SESSIONS")) as unknown as KvNamespaceLike;
    kv = {
      get: (key) => namespace.get(key),
      put: (key, value, options) => (kvPuts++, namespace.put(key, value, options)),
      delete: (key) => namespace.delete(key),
      list: (options) => namespace.list(options),
    };
  }, 30_000);
  afterAll(async () => {
    if (client?.isOpen) await client.close();
    await Promise.all([redis?.stop(), miniflare?.dispose()]);
  });

  const redisWrites = async () => {
    const stats = await redis.commandStats();
    return (stats.get("set") ?? 0) + (stats.get("del") ?? 0) + (stats.get("evalsha") ?? 0) + (stats.get("eval") ?? 0);
  };

  return [
    {
      name: "UnsafeMemoryStore",
      serverSide: true,
      make: async () => new UnsafeMemoryStore(),
    },
    {
      name: "RedisSessionStore",
      serverSide: true,
      make: async () => new RedisSessionStore({ getClient: () => client, prefix: `${crypto.randomUUID()}:` }),
      writes: redisWrites,
    },
    {
      name: "KvSessionStore",
      serverSide: true,
      make: async () => new KvSessionStore({ getStore: () => kv, prefix: `${crypto.randomUUID()}:` }),
      writes: async () => kvPuts,
    },
    {
      name: "SignedCookieStore",
      serverSide: false,
      make: async () => new SignedCookieStore([await SignedCookieStore.generateKey()]),
    },
    {
      name: "EncryptedCookieStore",
      serverSide: false,
      make: async () => new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]),
    },
    {
      name: "UnsignedCookieStore",
      serverSide: false,
      clientEditable: true,
      make: async () => new UnsignedCookieStore(),
    },
  ];
}
