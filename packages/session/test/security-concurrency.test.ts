/**
 * Two requests of one session that change it at once, over real HTTP with
 * real overlap: both have loaded the session before either writes. The
 * semantics (docs/concurrency.md): the last writer wins, per session: the
 * whole data object of the request that saved last, never a merge, never a
 * mix of the two, never an error.
 */
import { createClient } from "redis";
import type { RequestHandler } from "@hattip/compose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EncryptedCookieStore, RedisSessionStore, SignedCookieStore, UnsafeMemoryStore, type SessionStore } from "../src/index.js";
import { serveSessionApp, sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { Gate } from "./support/gate.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

declare module "../src/index.js" {
  interface SessionData {
    a?: string;
    b?: string;
  }
}

let redis: RedisServer;
let redisClient: ReturnType<typeof createClient>;
const running: Served[] = [];

beforeAll(async () => {
  redis = await startRedis();
  redisClient = createClient({ url: redis.url });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});
afterAll(async () => {
  if (redisClient?.isOpen) await redisClient.close();
  await redis?.stop();
});

const gates = new Map<string, Gate>();

/** `/gated-set?gate=g&key=a&value=1`: waits at gate g, then sets data[key] = value. */
const gatedRoutes: RequestHandler = async (ctx) => {
  if (ctx.url.pathname !== "/gated-set") return sessionRoutes(ctx);
  const params = ctx.url.searchParams;
  await gates.get(params.get("gate")!)!.enter();
  const key = params.get("key") as "a" | "b";
  ctx.session.data[key] = params.get("value")!;
  return Response.json(ctx.session.data);
};

const stores: { name: string; serverSide: boolean; make: () => Promise<SessionStore> }[] = [
  { name: "UnsafeMemoryStore", serverSide: true, make: async () => new UnsafeMemoryStore() },
  { name: "RedisSessionStore", serverSide: true, make: async () => new RedisSessionStore({ userTagSecret, getClient: () => redisClient }) },
  { name: "SignedCookieStore", serverSide: false, make: async () => new SignedCookieStore([await SignedCookieStore.generateKey()]) },
  { name: "EncryptedCookieStore", serverSide: false, make: async () => new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]) },
];

async function start(store: SessionStore): Promise<CookieClient> {
  const served = await serveSessionApp({ store }, gatedRoutes);
  running.push(served);
  return new CookieClient(served.url);
}

describe.each(stores)("$name under concurrent writes of one session", ({ make, serverSide }) => {
  it.each([
    { first: "a", last: "b" },
    { first: "b", last: "a" },
  ] as const)("keeps exactly the data of the request that wrote last ($last)", async ({ first, last }) => {
    const client = await start(await make());
    await client.get("/increment");
    gates.set("a", new Gate());
    gates.set("b", new Gate());

    // Both requests are inside their handlers, each holding its own copy of { count: 1 }.
    const writes = {
      a: client.get("/gated-set?gate=a&key=a&value=from-a"),
      b: client.get("/gated-set?gate=b&key=b&value=from-b"),
    };
    await Promise.all([gates.get("a")!.entered, gates.get("b")!.entered]);

    gates.get(first)!.release();
    expect((await writes[first]).status).toBe(200);
    gates.get(last)!.release();
    expect((await writes[last]).status).toBe(200);

    const final = JSON.parse((await client.get("/read")).body);
    expect(final).toEqual({ data: { count: 1, [last]: `from-${last}` }, isFresh: false });
  });

  it("answers every one of 20 simultaneous increments and ends with a valid count between 1 and 20", async () => {
    const client = await start(await make());
    await client.get("/increment");
    const cookie = `session=${client.jar.get("session")}`;
    const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${client.baseUrl}/increment`, { headers: { cookie } })));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const counts = await Promise.all(responses.map(async (response) => (await response.json()).count as number));
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(2);
    // Server-side stores: the stored count is one that some request wrote (lost updates, no corruption).
    if (serverSide) {
      const stored = JSON.parse((await client.get("/read", { headers: { cookie } })).body).data.count;
      expect(counts).toContain(stored);
    }
  });
});

describe("a logout racing a slower write of the same session", () => {
  async function logoutDuringSlowWrite(store: SessionStore) {
    const tab1 = await start(store);
    await tab1.get("/login?user=ada");
    const tab2 = new CookieClient(tab1.baseUrl);
    tab2.jar.set("session", tab1.jar.get("session")!);
    gates.set("slow", new Gate());
    const slow = tab1.get("/gated-set?gate=slow&key=a&value=late");
    await gates.get("slow")!.entered;
    await tab2.get("/logout");
    gates.get("slow")!.release();
    expect((await slow).status).toBe(200);
    return JSON.parse((await tab1.get("/read")).body);
  }

  it("RedisSessionStore: the logout stands", async () => {
    const after = await logoutDuringSlowWrite(new RedisSessionStore({ userTagSecret, getClient: () => redisClient }));
    expect(after).toEqual({ data: {}, isFresh: true });
  });

  it("UnsafeMemoryStore: the logout stands", async () => {
    const after = await logoutDuringSlowWrite(new UnsafeMemoryStore());
    expect(after).toEqual({ data: {}, isFresh: true });
  });
});
