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
} from "../../src/index.js";
import { startLocalBlobs, type LocalBlobs } from "./blobs-server.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { startRedis, type RedisServer } from "./redis-server.js";
import { userTagSecret } from "../../test-runtimes/suite/user-tag-secret.js";

/** How a test wants a server-side store made. */
export interface StoreSettings {
  /**
   * Where the store keeps its sessions (a Redis or KV prefix, a table, a
   * Blobs store, a set of Durable Objects): two stores made with one place
   * see the same sessions, as two deployments of one app on one database
   * would. By default a place of its own.
   */
  place?: string;
  /** Its `userTagSecret`; `null` for a store made without one. By default the tests' secret. */
  userTagSecret?: string | null;
}

export interface StoreKit {
  name: string;
  /** `true` when sessions live on the server (the cookie holds an ID). */
  serverSide: boolean;
  /** `true` when the client can edit what the store keeps. */
  clientEditable?: boolean;
  /** `true` for a store whose bound sessions' IDs carry their user's tag (every server store but memory). */
  tagsUsers?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each test types its own data
  make(settings?: StoreSettings): Promise<SessionStore<any>>;
  /**
   * For a store that tags users: every name its backend holds at `place`
   * that whoever reads the database sees beside the records: keys, the
   * PostgreSQL columns but the record, the names Durable Objects were
   * asked for.
   */
  namesAt?(place: string): Promise<string[]>;
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
  /** The object names each scope's store asked for. */
  const objectNames = new Map<string, Set<string>>();
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
      idFromName: (name) => {
        if (!objectNames.has(scope)) objectNames.set(scope, new Set());
        objectNames.get(scope)!.add(name);
        return objectNamespace.idFromName(`${scope}:${name}`);
      },
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
  const placeOf = (settings: StoreSettings) => settings.place ?? crypto.randomUUID();
  const secretOf = (settings: StoreSettings) => (settings.userTagSecret === undefined ? userTagSecret : (settings.userTagSecret ?? undefined));
  const tableAt = (place: string) => `sessions_${place.replaceAll("-", "")}`;
  const kvNames = async (prefix: string) => {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await kv.list(cursor === undefined ? { prefix } : { prefix, cursor });
      names.push(...page.keys.map((key) => key.name));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return names;
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
      tagsUsers: true,
      make: async (settings = {}) =>
        new RedisSessionStore({ userTagSecret: secretOf(settings), getClient: () => client, prefix: `${placeOf(settings)}:` }),
      namesAt: (place) => client.keys(`${place}:*`),
      writes: redisWrites,
    },
    {
      name: "KvSessionStore",
      serverSide: true,
      tagsUsers: true,
      make: async (settings = {}) => new KvSessionStore({ userTagSecret: secretOf(settings), getStore: () => kv, prefix: `${placeOf(settings)}:` }),
      namesAt: (place) => kvNames(`${place}:`),
      writes: async () => kvPuts,
    },
    {
      name: "DurableObjectSessionStore",
      serverSide: true,
      tagsUsers: true,
      make: async (settings = {}) => {
        const namespace = objects(placeOf(settings));
        return new DurableObjectSessionStore({ userTagSecret: secretOf(settings), getNamespace: () => namespace });
      },
      namesAt: async (place) => [...(objectNames.get(place) ?? [])],
      writes: async () => objectWrites,
    },
    {
      name: "PostgresSessionStore",
      serverSide: true,
      tagsUsers: true,
      make: async (settings = {}) => {
        // A table of its own for each place, as a prefix gives the other stores keys of their own.
        const store = new PostgresSessionStore({ userTagSecret: secretOf(settings), client: postgres, table: tableAt(placeOf(settings)) });
        await store.createTable();
        return store;
      },
      namesAt: async (place) => {
        const { rows } = await pool.query(`SELECT id_hash, user_hash, handle FROM ${tableAt(place)}`);
        return (rows as Record<string, string | null>[]).flatMap((row) => Object.values(row).filter((value) => value !== null));
      },
      writes: async () => postgresWrites,
    },
    {
      name: "NetlifyBlobsSessionStore",
      serverSide: true,
      tagsUsers: true,
      make: async (settings = {}) => {
        const store = blobs.store(`sessions-${placeOf(settings)}`);
        return new NetlifyBlobsSessionStore({ userTagSecret: secretOf(settings), getStore: () => store });
      },
      namesAt: async (place) => (await blobs.store(`sessions-${place}`).list()).blobs.map((blob) => blob.key),
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
