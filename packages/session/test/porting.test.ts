/**
 * Code written for @hattip/session must port by changing the import. Each
 * case here is a place where it used to break silently: an async
 * validateId, destroy() that is not a Promise, cookieOptions.expires, a KV
 * store with a custom generateId, a node-redis v3 client.
 */
import { Miniflare } from "miniflare";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EncryptedCookieStore,
  KvSessionStore,
  RedisSessionStore,
  SessionSetupError,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
  isSessionError,
  type KvNamespaceLike,
} from "../src/index.js";
import { hashSessionId } from "../src/stores/session-id.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let redis: RedisServer;
let client: ReturnType<typeof createClient>;
let served: Served | undefined;
let miniflare: Miniflare;
let kv: KvNamespaceLike;

beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  miniflare = new Miniflare({ modules: true, script: "export default { fetch: () => new Response() }", kvNamespaces: ["SESSIONS"] });
  kv = (await miniflare.getKVNamespace("SESSIONS")) as unknown as KvNamespaceLike;
}, 30_000);
afterEach(async () => {
  await served?.close();
  served = undefined;
});
afterAll(async () => {
  if (client?.isOpen) await client.close();
  await Promise.all([redis?.stop(), miniflare?.dispose()]);
});

/** A live record (the 0.1 text format, which every version reads) holding `user`. */
const recordText = (user: string) => `1|${Date.now()}|${Date.now() + 60_000}|${JSON.stringify({ user })}`;

describe("an async validateId (allowed by @hattip/session)", () => {
  const options = { generateId: () => `ok-${crypto.randomUUID()}`, validateId: async (id: string) => id.startsWith("ok-") };

  it("is awaited by RedisSessionStore: an ID it rejects is never looked up, even when a record sits under its key", async () => {
    const store = new RedisSessionStore({ userTagSecret, getClient: () => client, ...options });
    const id = await store.save(null, { user: "ada" }, 60_000, {} as never);
    expect(id.startsWith("ok-")).toBe(true);
    expect(await store.load(id, {} as never)).toEqual({ user: "ada" });
    if (!client.isOpen) await client.connect();
    await client.set(`session:${await hashSessionId("bad-planted")}`, recordText("mallory"), { PX: 60_000 });
    expect(await store.load("bad-planted", {} as never)).toBeNull();
  });

  it("is awaited by KvSessionStore", async () => {
    const store = new KvSessionStore({ userTagSecret, getStore: () => kv, ...options });
    await kv.put(`session:${await hashSessionId("bad-planted")}`, recordText("mallory"), { expirationTtl: 60 });
    expect(await store.load("bad-planted", {} as never)).toBeNull();
    const id = await store.save(null, { user: "ada" }, 60_000, {} as never);
    expect(await store.load(id, {} as never)).toEqual({ user: "ada" });
  });
});

describe("destroy()", () => {
  it.each([
    ["UnsafeMemoryStore", () => new UnsafeMemoryStore()],
    ["UnsignedCookieStore", () => new UnsignedCookieStore()],
    ["RedisSessionStore", () => new RedisSessionStore({ userTagSecret, getClient: () => client })],
    ["KvSessionStore", () => new KvSessionStore({ userTagSecret, getStore: () => kv })],
  ] as const)("returns a Promise on %s, so .then() works", async (_name, make) => {
    const result: unknown = make().destroy("no-such-session", {} as never);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBeUndefined();
  });

  it.each([
    ["SignedCookieStore", async () => new SignedCookieStore([await SignedCookieStore.generateKey()])],
    ["EncryptedCookieStore", async () => new EncryptedCookieStore([await EncryptedCookieStore.generateKey()])],
  ] as const)("returns a Promise on %s", async (_name, make) => {
    const result: unknown = (await make()).destroy("value", {} as never);
    expect(result).toBeInstanceOf(Promise);
  });
});

describe("cookieOptions.expires", () => {
  it("emits an Expires attribute and a Max-Age that agrees with it", async () => {
    const deadline = new Date(Date.now() + 3_600_000);
    served = await serveSessionApp({ store: new UnsafeMemoryStore(), cookieOptions: { expires: deadline } });
    const browser = new CookieClient(served.url);
    const { attributes } = parseSetCookie((await browser.get("/increment")).setCookies[0]!);
    const expires = Date.parse(attributes.get("expires")!);
    const maxAge = Number(attributes.get("max-age"));
    expect(Math.abs(expires - deadline.getTime())).toBeLessThan(1_000);
    expect(Math.abs(Date.now() + maxAge * 1000 - deadline.getTime())).toBeLessThan(2_000);
  });
});

describe("a custom generateId without validateId", () => {
  it.each([
    ["KvSessionStore", () => new KvSessionStore({ userTagSecret, getStore: () => kv, generateId: () => crypto.randomUUID() })],
    ["RedisSessionStore", () => new RedisSessionStore({ userTagSecret, getClient: () => client, generateId: () => crypto.randomUUID() })],
  ] as const)("is refused when %s is constructed, not at the first login", (_name, make) => {
    expect(make).toThrow(SessionSetupError);
    expect(make).toThrow(/validateId/);
  });
});

describe("a node-redis v3 callback client", () => {
  it("gets a SessionSetupError saying that a v4+ client is needed and how to get one", async () => {
    // The shape of a redis@3 RedisClient: callback methods, `connected`, no connect()/isReady.
    const v3Client = { connected: true, get: (_key: string, _callback: unknown) => true, set: () => true, del: () => true, on: () => v3Client };
    const store = new RedisSessionStore({ userTagSecret, getClient: () => v3Client as never });
    const error = await store.load("A".repeat(43), {} as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionSetupError);
    expect(isSessionError(error, "ERR_SESSION_SETUP")).toBe(true);
    expect(String((error as Error).message)).toMatch(/v4 or later/);
    expect(String((error as Error).message)).toMatch(/npm install redis@latest/);
  });
});
