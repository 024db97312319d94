/**
 * Every bundled store, all nine, each on its real backend: a redis-server
 * started for the file, workerd's KV and SQLite-backed Durable Objects
 * through Miniflare, a PostgreSQL database of the file's own, Netlify's
 * local Blobs server. Each server-side store counts the writes it sends to
 * its backend. This is what the feature tests run against when a feature
 * concerns every store: call `useEveryStore()` at the top of a test file.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import pg from "pg";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import {
  DurableObjectSessionStore,
  EncryptedCookieStore,
  KvSessionStore,
  NetlifyBlobsSessionStore,
  PostgresSessionStore,
  RedisSessionStore,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
  type DurableObjectNamespaceLike,
  type KvNamespaceLike,
  type PostgresClientLike,
  type SessionStore,
  type TelemetryOptions,
} from "../../src/index.js";
import { startLocalBlobs, type LocalBlobs } from "./blobs-server.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { startRedis, type RedisServer } from "./redis-server.js";

export interface StoreKit {
  name: string;
  /** `true` when sessions live on the server (the cookie holds an ID). */
  serverSide: boolean;
  /** `true` when the client can edit what the store keeps. */
  clientEditable?: boolean;
  /** A new store; a server-side one takes `telemetry` (its own events, tracer and meter), a cookie store has none. */
  // biome-ignore lint/suspicious/noExplicitAny: each test types its own data
  make(telemetry?: TelemetryOptions): Promise<SessionStore<any>>;
  /**
   * Writes sent to the backend so far, where there is a backend to ask;
   * cookie stores write only through Set-Cookie headers, and the memory
   * store has no backend.
   */
  writes?(): Promise<number>;
}

/** A Worker that only hosts the session objects: the store talks to them through Miniflare's binding proxy. */
async function sessionObjectWorker(): Promise<string> {
  const source = fileURLToPath(new URL("../../src/stores/session-durable-object.ts", import.meta.url));
  const result = await build({
    stdin: {
      contents: `export { SessionDurableObject } from ${JSON.stringify(source)};\nexport default { fetch: () => new Response("") };`,
      loader: "ts",
      resolveDir: fileURLToPath(new URL(".", import.meta.url)),
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** What a Durable Object call asks, read from its body: every operation but a load or a list writes. */
function isObjectWrite(body: string): boolean {
  const op = (JSON.parse(body) as { op?: unknown }).op;
  return op !== "load" && op !== "list";
}

export function useEveryStore(): StoreKit[] {
  let redis: RedisServer;
  let client: ReturnType<typeof createClient>;
  let miniflare: Miniflare;
  let kv: KvNamespaceLike;
  let kvPuts = 0;
  let objects: (scope: string) => DurableObjectNamespaceLike;
  let objectWrites = 0;
  let database: TestDatabase;
  let pool: pg.Pool;
  let postgres: PostgresClientLike;
  let postgresWrites = 0;
  let blobs: LocalBlobs;

  beforeAll(async () => {
    const workerScript = sessionObjectWorker();
    [redis, database, blobs] = await Promise.all([startRedis(), createTestDatabase(), startLocalBlobs()]);
    client = createClient({ url: redis.url });
    miniflare = new Miniflare({
      modules: true,
      script: await workerScript,
      kvNamespaces: ["SESSIONS"],
      durableObjects: { SESSION_OBJECTS: { className: "SessionDurableObject", useSQLite: true } },
      compatibilityDate: "2025-06-01",
    });
    const namespace = (await miniflare.getKVNamespace("SESSIONS")) as unknown as KvNamespaceLike;
    kv = {
      get: (key) => namespace.get(key),
      put: (key, value, options) => (kvPuts++, namespace.put(key, value, options)),
      delete: (key) => namespace.delete(key),
      list: (options) => namespace.list(options),
    };
    const objectNamespace = (await miniflare.getDurableObjectNamespace("SESSION_OBJECTS")) as unknown as DurableObjectNamespaceLike;
    objects = (scope) => ({
      // Each store gets objects of its own, as a prefix gives the other stores keys of their own.
      idFromName: (name) => objectNamespace.idFromName(`${scope}:${name}`),
      get: (id) => {
        const stub = objectNamespace.get(id);
        return { fetch: (url, init) => (isObjectWrite(init.body) && objectWrites++, stub.fetch(url, init)) };
      },
    });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    postgres = { query: (text, values) => (!text.startsWith("SELECT") && postgresWrites++, pool.query(text, values)) };
  }, 60_000);
  afterAll(async () => {
    if (client?.isOpen) await client.close();
    await pool?.end();
    await Promise.all([redis?.stop(), miniflare?.dispose(), database?.drop(), blobs?.destroy()]);
  });

  // The writes Redis ran, scripts' included (a bound session is read by a script that writes only when its index entry is gone).
  const redisWrites = async () => {
    const stats = await redis.commandStats();
    return ["set", "del", "zadd", "zrem", "zremrangebyscore", "pexpireat"].reduce((sum, command) => sum + (stats.get(command) ?? 0), 0);
  };
  const blobWrites = async () => (blobs.requests.get("set") ?? 0) + (blobs.requests.get("delete") ?? 0);

  return [
    {
      name: "UnsafeMemoryStore",
      serverSide: true,
      make: async (telemetry) => new UnsafeMemoryStore({ ...telemetry }),
    },
    {
      name: "RedisSessionStore",
      serverSide: true,
      make: async (telemetry) => new RedisSessionStore({ ...telemetry, getClient: () => client, prefix: `${crypto.randomUUID()}:` }),
      writes: redisWrites,
    },
    {
      name: "KvSessionStore",
      serverSide: true,
      make: async (telemetry) => new KvSessionStore({ ...telemetry, getStore: () => kv, prefix: `${crypto.randomUUID()}:` }),
      writes: async () => kvPuts,
    },
    {
      name: "DurableObjectSessionStore",
      serverSide: true,
      make: async (telemetry) => {
        const namespace = objects(crypto.randomUUID());
        return new DurableObjectSessionStore({ ...telemetry, getNamespace: () => namespace });
      },
      writes: async () => objectWrites,
    },
    {
      name: "PostgresSessionStore",
      serverSide: true,
      make: async (telemetry) => {
        // A table of its own for each store, as a prefix gives the other stores keys of their own.
        const store = new PostgresSessionStore({ ...telemetry, client: postgres, table: `sessions_${crypto.randomUUID().replaceAll("-", "")}` });
        await store.createTable();
        return store;
      },
      writes: async () => postgresWrites,
    },
    {
      name: "NetlifyBlobsSessionStore",
      serverSide: true,
      make: async (telemetry) => {
        const store = blobs.store(`sessions-${crypto.randomUUID()}`);
        return new NetlifyBlobsSessionStore({ ...telemetry, getStore: () => store });
      },
      writes: blobWrites,
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
