/**
 * RedisSessionStore on a Redis that evicts: real redis-servers with a
 * small `maxmemory` and an evicting policy, filled by another client (a
 * cache sharing the server) while a signed-in user keeps browsing through
 * the middleware. Under LRU the user's index goes cold (written at login
 * only) while their session key is read on every request, so Redis evicts
 * the index first; a store that served the session without its index
 * entry would then let "sign out everywhere" end nothing.
 */
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisSessionStore } from "../src/index.js";
import { hashSessionId, splitSessionId } from "../src/stores/session-id.js";
import { CookieClient } from "./support/browser-like-client.js";
import { clientCommandsDuring } from "./support/redis-monitor.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { serveUserApp } from "./support/user-app.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

const signedOut = { user: null, isFresh: true };
/** Room for a few thousand small keys above the server's own ~1 MB. */
const MAX_MEMORY = 4 * 1024 * 1024;
const FILLER_VALUE = "x".repeat(2048);
const running: Served[] = [];
const servers: RedisServer[] = [];
const newClient = (url: string) => createClient({ url });
type Client = ReturnType<typeof newClient>;
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
  vi.restoreAllMocks();
});
afterAll(async () => {
  for (const client of clients) if (client.isOpen) await client.close();
  await Promise.all(servers.map((server) => server.stop()));
});

async function redisWith(args: string[]): Promise<{ redis: RedisServer; client: Client }> {
  const redis = await startRedis({ args });
  servers.push(redis);
  const client = newClient(redis.url);
  clients.push(client);
  return { redis, client };
}

async function serveWith(client: Client) {
  const store = new RedisSessionStore({ userTagSecret, getClient: () => client });
  const served = await serveUserApp({ store });
  running.push(served);
  return { store, device: () => new CookieClient(served.url) };
}

const whoami = async (device: CookieClient) => JSON.parse((await device.get("/whoami")).body) as { user: string | null; isFresh: boolean };
const info = async (redis: RedisServer, field: string) => Number(new RegExp(`^${field}:(\\d+)`, "m").exec(await redis.cli("INFO", "stats"))?.[1]);

describe.each(["volatile-lru", "allkeys-lru"])("RedisSessionStore under maxmemory-policy %s", (policy) => {
  let redis: RedisServer;
  let client: Client;
  beforeAll(async () => {
    // Redis's LRU is approximate (it samples keys): with its default 5 samples a key read a moment ago is
    // sometimes evicted, which signs the victim out early (safe, but it voids the scenario). Ten samples keep
    // the victim's keys, read on every request, among the newest.
    ({ redis, client } = await redisWith(["--maxmemory", String(MAX_MEMORY), "--maxmemory-policy", policy, "--maxmemory-samples", "10"]));
  });
  let floods = 0;

  /** Signs `victim` in, lets it browse, then floods Redis three times over while it keeps browsing: whether it is still signed in. */
  async function survivesFlood(victim: CookieClient): Promise<boolean> {
    await victim.get("/login?user=victim");
    expect(await whoami(victim)).toEqual({ user: "victim", isFresh: false });
    // Redis keeps access times to the second: browse for a few seconds first, so that the login's writes are the oldest.
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await whoami(victim)).toEqual({ user: "victim", isFresh: false });
    }
    // A cache on the same server writes three times its memory in keys with a TTL, over some seconds (Redis
    // keeps access times to the second: a faster flood turns all memory over within one tick and evicts at random);
    // the victim browses between batches.
    const evictedBefore = await info(redis, "evicted_keys");
    const flood = ++floods;
    const cache = createClient({ url: redis.url });
    await cache.connect();
    let last: { user: string | null; isFresh: boolean } | undefined;
    try {
      const batches = Math.ceil((3 * MAX_MEMORY) / FILLER_VALUE.length / 100);
      for (let batch = 0; batch < batches; batch++) {
        const pipeline = cache.multi();
        for (let i = 0; i < 100; i++) pipeline.set(`cache:${flood}:${batch}:${i}`, FILLER_VALUE, { EX: 3600 });
        await pipeline.execAsPipeline();
        last = await whoami(victim);
        await new Promise((resolve) => setTimeout(resolve, 120));
      }
    } finally {
      await cache.close();
    }
    expect((await info(redis, "evicted_keys")) - evictedBefore).toBeGreaterThan(3_000);
    return last?.user === "victim" && !last.isFresh;
  }

  it("signs a victim out with the revoke-all that follows a flood of evictions while they kept browsing", { timeout: 60_000 }, async () => {
    const { store, device } = await serveWith(client);
    // The attack's precondition is that the victim's session survives the flood; an approximate LRU may still
    // evict it (signing the victim out early, which is safe but proves nothing), so the scenario runs again then.
    let victim = device();
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) victim = device();
      if (await survivesFlood(victim)) break;
      if (attempt === 3) throw new Error("The victim's session was evicted in each of 3 floods: the scenario never ran.");
    }

    await store.revokeUserSessions("victim");
    expect(await whoami(victim)).toEqual(signedOut);
    expect(await store.listUserSessions("victim")).toEqual([]);
  });
});

describe("a bound session whose index entry is gone", () => {
  let redis: RedisServer;
  let client: Client;
  beforeAll(async () => {
    ({ redis, client } = await redisWith([]));
  });
  afterEach(async () => {
    await redis.cli("FLUSHALL");
  });

  const keysOf = async (id: string) => {
    const { tag } = splitSessionId(id);
    return { session: `session:{${tag}}${await hashSessionId(id)}`, index: `session:{${tag}}:sessions` };
  };

  it("is signed out and deleted when its user's index is gone, as after an eviction of the index", async () => {
    const { device } = await serveWith(client);
    const laptop = device();
    await laptop.get("/login?user=ada");
    const keys = await keysOf(laptop.jar.get("session")!);
    await redis.cli("DEL", keys.index);

    expect(await whoami(laptop)).toEqual(signedOut);
    expect((await redis.cli("EXISTS", keys.session)).trim()).toBe("0");
  });

  it("is signed out and deleted when its entry alone is gone, and another device of the user is not", async () => {
    const { device } = await serveWith(client);
    const [laptop, phone] = [device(), device()];
    await laptop.get("/login?user=ada");
    await phone.get("/login?user=ada");
    const id = laptop.jar.get("session")!;
    const keys = await keysOf(id);
    await redis.cli("ZREM", keys.index, await hashSessionId(id));

    expect(await whoami(laptop)).toEqual(signedOut);
    expect((await redis.cli("EXISTS", keys.session)).trim()).toBe("0");
    expect(await whoami(phone)).toEqual({ user: "ada", isFresh: false });
  });

  it("is checked in the same round trip as the read: one script for a bound session, one GET for an unbound one", async () => {
    const { device } = await serveWith(client);
    const [anonymous, laptop] = [device(), device()];
    await anonymous.get("/change");
    await laptop.get("/login?user=ada");
    // Warm the script cache: a script's first use on a server costs one more round trip (NOSCRIPT, then EVAL).
    await laptop.get("/touch");
    expect(await clientCommandsDuring([redis.port], () => laptop.get("/touch"))).toEqual({ evalsha: 1 });
    expect(await clientCommandsDuring([redis.port], () => anonymous.get("/touch"))).toEqual({ get: 1 });
  });

  it("gives a fresh session, not a 500, when the index key holds another type", async () => {
    const { device } = await serveWith(client);
    const laptop = device();
    await laptop.get("/login?user=ada");
    const { index } = await keysOf(laptop.jar.get("session")!);
    await redis.cli("DEL", index);
    await redis.cli("SET", index, "not a sorted set");
    const response = await laptop.get("/whoami");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual(signedOut);
  });
});

describe("what RedisSessionStore says about the server's eviction policy", () => {
  it.each(["volatile-lru", "allkeys-lfu"])("says once per client, at first use, what maxmemory-policy %s means for sessions", async (policy) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { client } = await redisWith(["--maxmemory", "64mb", "--maxmemory-policy", policy]);
    const { device } = await serveWith(client);
    const browser = device();
    for (let i = 0; i < 3; i++) expect((await browser.get("/change")).status).toBe(200);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1));
    const [message] = warn.mock.calls[0] as [string];
    expect(message).toContain(`maxmemory-policy ${policy}`);
    expect(message).toMatch(/signs those users out/);
    expect(message).toMatch(/maxmemory-policy noeviction/);
    // A second store on the same client says nothing more.
    const { device: again } = await serveWith(client);
    expect((await again().get("/change")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["maxmemory-policy noeviction", ["--maxmemory", "64mb", "--maxmemory-policy", "noeviction"]],
    ["an evicting policy but no maxmemory", ["--maxmemory-policy", "allkeys-lru"]],
  ])("says nothing with %s", async (_, args) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { redis, client } = await redisWith(args);
    const { device } = await serveWith(client);
    expect((await device().get("/change")).status).toBe(200);
    await vi.waitFor(async () => expect((await redis.commandStats()).get("config|get")).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warn).not.toHaveBeenCalled();
  });

  it("takes a server that refuses CONFIG GET (as managed Redis often does) as no error, says nothing and serves as usual", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { redis, client } = await redisWith(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru", "--rename-command", "CONFIG", ""]);
    const errors = async () => Number(/errorstat_ERR:count=(\d+)/.exec(await redis.cli("INFO", "errorstats"))?.[1] ?? 0);
    // What a connection alone costs in errors (node-redis names itself with commands a Redis 7.0 does not know).
    const bare = createClient({ url: redis.url });
    await bare.connect();
    await bare.close();
    const perConnection = await errors();
    const { device } = await serveWith(client);
    const browser = device();
    expect((await browser.get("/change")).status).toBe(200);
    // The store's connection, and one more error: CONFIG GET was asked, and refused.
    await vi.waitFor(async () => expect(await errors()).toBe(2 * perConnection + 1));
    expect((await browser.get("/login?user=ada")).status).toBe(200);
    expect(await whoami(browser)).toEqual({ user: "ada", isFresh: false });
    expect(warn).not.toHaveBeenCalled();
  });
});
