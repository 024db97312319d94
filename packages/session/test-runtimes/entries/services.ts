/**
 * Entry for the stores whose backend is a server (Redis, PostgreSQL,
 * Netlify Blobs), run by Node, Deno and Bun with the real clients an app
 * would use there (`redis`, `pg`, `@netlify/blobs`, from node_modules). The runner starts the
 * backends and passes where they are in HATTIP_SESSION_SERVICES; a store
 * whose backend is not given is left out, and the runner says which ran.
 */
import type { RequestContext } from "@hattip/compose";
import { getStore } from "@netlify/blobs";
import {
  isSessionError,
  NetlifyBlobsSessionStore,
  PostgresSessionStore,
  RedisSessionStore,
  type PostgresClientLike,
  type SessionStore,
} from "hattip-session";
import pg from "pg";
import { createClient } from "redis";
import { adapterContext, type Platform } from "../suite/adapter-context.js";
import { featureBehaviour } from "../suite/feature-behaviour.js";
import { assert, assertEqual, TestList } from "../suite/harness.js";
import { middlewareBehaviour } from "../suite/middleware-behaviour.js";
import { storeContract, type Data, type StoreSubject } from "../suite/store-contract.js";
import { userTagSecret } from "../suite/user-tag-secret.js";

interface Services {
  /** A redis-server of the runner's own. */
  redis?: string;
  /** A connection string to a database of the runner's, with the sessions table created. */
  postgres?: string;
  blobs?: { url: string; token: string; siteID: string };
}

interface RuntimeGlobals {
  Deno?: { env: { get(name: string): string | undefined }; exit(code: number): never };
  Bun?: { version: string };
  process?: { env: Record<string, string | undefined>; exit(code: number): never };
}

const runtime = globalThis as RuntimeGlobals;
const services = JSON.parse(
  (runtime.Deno ? runtime.Deno.env.get("HATTIP_SESSION_SERVICES") : runtime.process?.env["HATTIP_SESSION_SERVICES"]) ?? "{}",
) as Services;
const platform: Platform = { name: runtime.Deno ? "deno" : runtime.Bun ? "bun" : "node" };
const storeCtx = () => adapterContext(new Request("http://app.test/"), platform) as RequestContext;

/** A port nothing listens on (discard), for a backend that is down. */
const CLOSED = "127.0.0.1:9";
const UNREACHABLE_TIMEOUT_MS = 1000;

/** A read through a store whose backend is unreachable fails with SessionStoreUnavailableError within its timeout. */
async function assertUnavailable(store: SessionStore<Data>): Promise<void> {
  const started = Date.now();
  const failure = await Promise.resolve(store.load("A".repeat(43), storeCtx())).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert(isSessionError(failure, "ERR_SESSION_STORE_UNAVAILABLE"), `a SessionStoreUnavailableError, got ${String(failure)}`);
  const took = Date.now() - started;
  assert(took < UNREACHABLE_TIMEOUT_MS + 1000, `the failure took ${took} ms`);
}

const subjects: StoreSubject[] = [];
const tests = new TestList();
const cleanups: (() => Promise<unknown>)[] = [];

if (services.redis) {
  const client = createClient({ url: services.redis });
  cleanups.push(async () => {
    if (client.isOpen) await client.close();
  });
  // A prefix of its own per runtime: the runners share the one server.
  const prefix = `${platform.name}:${crypto.randomUUID()}:`;
  const redis = (secret: string | undefined) => new RedisSessionStore<Data>({ userTagSecret: secret, getClient: () => client, prefix });
  subjects.push({
    name: "RedisSessionStore",
    make: async () => redis(userTagSecret),
    withUserTagSecret: async (secret) => redis(secret),
    revocable: true,
    indexesUsers: true,
  });

  tests.test("RedisSessionStore fails with SessionStoreUnavailableError within its timeout when Redis is down", async () => {
    const down = createClient({ url: `redis://${CLOSED}`, socket: { reconnectStrategy: false } });
    try {
      await assertUnavailable(new RedisSessionStore<Data>({ userTagSecret, getClient: () => down, timeout: UNREACHABLE_TIMEOUT_MS }));
    } finally {
      if (down.isOpen) await down.close();
    }
  });
}

if (services.postgres) {
  const pool = new pg.Pool({ connectionString: services.postgres, max: 4 });
  cleanups.push(() => pool.end());
  subjects.push({
    name: "PostgresSessionStore",
    make: async () => new PostgresSessionStore<Data>({ userTagSecret, client: pool }),
    withUserTagSecret: async (secret) => new PostgresSessionStore<Data>({ userTagSecret: secret, client: pool }),
    revocable: true,
    indexesUsers: true,
  });

  tests.test("PostgresSessionStore sends one statement for each load, create, update, rotation and destroy", async () => {
    const sent: string[] = [];
    // A guarded write is `WITH guard AS (...), ..., written AS (<its statement> ...) SELECT ...`: named by that statement.
    const named = (text: string) => /written AS \((\w+)/.exec(text)?.[1] ?? text.split(" ")[0]!;
    const counting: PostgresClientLike = { query: (text, values) => (sent.push(named(text)), pool.query(text, values)) };
    const store = new PostgresSessionStore<Data>({ userTagSecret, client: counting });
    const ctx = storeCtx();
    const id = await store.save(null, { count: 1 }, 60_000, ctx);
    await store.load(id, ctx);
    await store.save(id, { count: 2 }, 60_000, ctx);
    const next = await store.rotateRecord(id, { data: { count: 3 }, createdAt: Date.now(), expiresAt: Date.now() + 60_000 }, ctx);
    await store.destroy(next!, ctx);
    assertEqual(sent, ["INSERT", "SELECT", "UPDATE", "UPDATE", "DELETE"], "statements sent");
  });

  tests.test("PostgresSessionStore fails with SessionStoreUnavailableError when PostgreSQL is down", async () => {
    const down = new pg.Pool({ connectionString: `postgres://postgres@${CLOSED}/postgres`, connectionTimeoutMillis: UNREACHABLE_TIMEOUT_MS });
    try {
      await assertUnavailable(new PostgresSessionStore<Data>({ userTagSecret, client: down, timeout: UNREACHABLE_TIMEOUT_MS }));
    } finally {
      await down.end();
    }
  });
}

if (services.blobs) {
  const { url, token, siteID } = services.blobs;
  const blobStore = () =>
    getStore({ name: `sessions-${crypto.randomUUID()}`, siteID, token, edgeURL: url, uncachedEdgeURL: url, consistency: "strong" });
  // One Blobs store per runtime, as Redis gets a prefix of its own.
  const sessions = blobStore();
  const blobs = (secret: string | undefined) => new NetlifyBlobsSessionStore<Data>({ userTagSecret: secret, getStore: () => sessions });
  subjects.push({
    name: "NetlifyBlobsSessionStore",
    make: async () => blobs(userTagSecret),
    withUserTagSecret: async (secret) => blobs(secret),
    revocable: true,
    indexesUsers: true,
  });

  tests.test("NetlifyBlobsSessionStore keeps one blob per session, under the hash of its ID, and deletes it on logout", async () => {
    const blobs = blobStore();
    const store = new NetlifyBlobsSessionStore<Data>({ userTagSecret, getStore: () => blobs });
    const ctx = storeCtx();
    const id = await store.save(null, { count: 1 }, 60_000, ctx);
    const keys = (await blobs.list({ prefix: "" })).blobs.map((blob) => blob.key);
    assertEqual(keys.length, 1, "blobs after a save");
    assertEqual(keys[0]!.includes(id), false, "the key contains the session ID");
    await store.destroy(id, ctx);
    assertEqual((await blobs.list({ prefix: "" })).blobs, [], "blobs after a destroy");
  });

  tests.test("NetlifyBlobsSessionStore fails with SessionStoreUnavailableError within its timeout when Blobs is down", async () => {
    // The Blobs client would retry for 25 s on its own; the store's timeout cuts that short.
    const down = getStore({
      name: "sessions",
      siteID,
      token,
      edgeURL: `http://${CLOSED}`,
      uncachedEdgeURL: `http://${CLOSED}`,
      consistency: "strong",
    });
    await assertUnavailable(new NetlifyBlobsSessionStore<Data>({ userTagSecret, getStore: () => down, timeout: UNREACHABLE_TIMEOUT_MS }));
  });
}

for (const subject of subjects) storeContract(tests, subject, storeCtx);
for (const subject of subjects) middlewareBehaviour(tests, subject, platform);
for (const subject of subjects) featureBehaviour(tests, subject, platform);

const outcomes = await tests.run();
await Promise.all(cleanups.map((cleanup) => cleanup()));
const passed = outcomes.filter((outcome) => outcome.ok).length;
const report = {
  passed,
  failed: outcomes.length - passed,
  outcomes,
  environment: { platformStores: subjects.map((subject) => subject.name).join(", ") || "none" },
};
console.log(`SUITE-REPORT ${JSON.stringify(report)}`);
// The Blobs client keeps retrying the unreachable server in the background for some 25 s after the store gave up: do not wait for it.
if (runtime.Deno) runtime.Deno.exit(0);
else runtime.process?.exit(0);
