/**
 * A request that logs out ends logged out, and a logout cannot be undone by
 * another request: destroy() wins over regenerate() in the same request, in
 * either order, and a regenerate() in flight while another request logs the
 * same session out does not bring it back under a new ID. Over real HTTP,
 * with real concurrent requests gated so the interleaving is certain, on
 * every store that keeps sessions on the server (memory, a real redis-server,
 * a real 3-master Redis Cluster, Workers KV in workerd) and on the cookie
 * stores where that applies.
 */
import type { RequestHandler } from "@hattip/compose";
import { Miniflare } from "miniflare";
import { createClient, createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EncryptedCookieStore, KvSessionStore, RedisSessionStore, SignedCookieStore, UnsafeMemoryStore, type SessionStore } from "../src/index.js";
import { serveSessionApp, sessionRoutes } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { Gate } from "./support/gate.js";
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let redis: RedisServer;
let redisClient: ReturnType<typeof createClient>;
let cluster: RedisCluster;
let clusterClient: ReturnType<typeof createCluster>;
let miniflare: Miniflare;
let kv: Awaited<ReturnType<Miniflare["getKVNamespace"]>>;
const running: Served[] = [];
const gates = new Map<string, Gate>();

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  redisClient = createClient({ url: redis.url });
  clusterClient = createCluster({ rootNodes: cluster.rootNodes });
  miniflare = new Miniflare({ modules: true, script: "export default { fetch: () => new Response() }", kvNamespaces: ["SESSIONS"] });
  kv = await miniflare.getKVNamespace("SESSIONS");
}, 60_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});
afterAll(async () => {
  if (redisClient?.isOpen) await redisClient.close();
  if (clusterClient?.isOpen) await clusterClient.close();
  await Promise.all([redis?.stop(), cluster?.stop(), miniflare?.dispose()]);
});

/** Sessions that hold `user` anywhere in the store: what "no session carrying the old data" is checked against. */
type Census = (user: string) => Promise<number>;

interface Subject {
  name: string;
  make: () => Promise<{ store: SessionStore; census?: Census }>;
}

const redisCensus =
  (client: { keys(pattern: string): Promise<string[]>; get(key: string): Promise<unknown> }, prefix: string): Census =>
  async (user) => {
    const values = await Promise.all((await client.keys(`${prefix}*`)).map((key) => client.get(key)));
    return values.filter((value) => typeof value === "string" && value.includes(`"${user}"`)).length;
  };

const clusterCensus =
  (prefix: string): Census =>
  async (user) => {
    let found = 0;
    for (const master of clusterClient.masters) {
      const node = await clusterClient.nodeClient(master);
      for (const key of await node.keys(`${prefix}*`)) {
        const value = await node.get(key);
        if (typeof value === "string" && value.includes(`"${user}"`)) found++;
      }
    }
    return found;
  };

const serverSide: Subject[] = [
  {
    name: "UnsafeMemoryStore",
    make: async () => {
      const store = new UnsafeMemoryStore();
      // Each test's store holds only that test's user: every session it keeps counts.
      return { store, census: async () => store.size };
    },
  },
  {
    name: "RedisSessionStore",
    make: async () => {
      const prefix = `wins-${crypto.randomUUID()}:`;
      return { store: new RedisSessionStore({ userTagSecret, getClient: () => redisClient, prefix }), census: redisCensus(redisClient, prefix) };
    },
  },
  {
    name: "RedisSessionStore on a Cluster",
    make: async () => {
      const prefix = `wins-${crypto.randomUUID()}:`;
      return { store: new RedisSessionStore({ userTagSecret, getClient: () => clusterClient, prefix }), census: clusterCensus(prefix) };
    },
  },
  {
    name: "KvSessionStore (workerd KV)",
    make: async () => {
      const prefix = `wins-${crypto.randomUUID()}:`;
      const census: Census = async (user) => {
        const { keys } = await kv.list({ prefix });
        const values = await Promise.all(keys.map((key) => kv.get(key.name)));
        return values.filter((value) => value?.includes(`"${user}"`)).length;
      };
      return { store: new KvSessionStore({ userTagSecret, getStore: () => kv as never, prefix }), census };
    },
  },
];

const cookieStores: Subject[] = [
  { name: "SignedCookieStore", make: async () => ({ store: new SignedCookieStore([await SignedCookieStore.generateKey()]) }) },
  { name: "EncryptedCookieStore", make: async () => ({ store: new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]) }) },
];

/** Routes that do both in one request, and a regenerate parked at a gate. */
const routes: RequestHandler = async (ctx) => {
  switch (ctx.url.pathname) {
    case "/destroy-then-regenerate":
      await ctx.session.destroy();
      await ctx.session.regenerate();
      return new Response("done");
    case "/regenerate-then-destroy":
      await ctx.session.regenerate();
      await ctx.session.destroy();
      return new Response("done");
    case "/gated-regenerate":
      await gates.get("regenerate")!.enter();
      await ctx.session.regenerate();
      ctx.session.data.items = ["after regenerate"];
      return new Response("done");
    default:
      return sessionRoutes(ctx);
  }
};

async function start(store: SessionStore): Promise<CookieClient> {
  const served = await serveSessionApp({ store }, routes);
  running.push(served);
  return new CookieClient(served.url);
}

/** Every Set-Cookie of the session cookie in a response, parsed. */
const sessionCookies = (setCookies: string[]) => setCookies.map(parseSetCookie).filter((cookie) => cookie.name === "session");

describe.each([...serverSide, ...cookieStores])("$name: destroy() and regenerate() in one request", ({ make }) => {
  it.each(["/destroy-then-regenerate", "/regenerate-then-destroy"])("%s ends logged out: old ID dead, no session with the data", async (path) => {
    const { store, census } = await make();
    const client = await start(store);
    const user = `wins-${path.length}`;
    await client.get(`/login?user=${user}`);
    const loggedIn = client.jar.get("session")!;

    const response = await client.get(path);
    // One Set-Cookie, and it clears: no new value carries the data.
    const cookies = sessionCookies(response.setCookies);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]!.value).toBe("");
    expect(cookies[0]!.attributes.get("max-age")).toBe("0");

    // A cookie store cannot take back a value the browser kept; a server-side store destroys it.
    if (census) {
      const replay = await client.get("/read", { headers: { cookie: `session=${loggedIn}` } });
      expect(JSON.parse(replay.body)).toEqual({ data: {}, isFresh: true });
      expect(await census(user)).toBe(0);
    }
  });
});

describe.each(serverSide)("$name: a regenerate() in flight while another request logs out", ({ make }) => {
  it("does not bring the session back under a new ID", async () => {
    const { store, census } = await make();
    const tab1 = await start(store);
    await tab1.get("/login?user=racer");
    const loggedIn = tab1.jar.get("session")!;
    const tab2 = new CookieClient(tab1.baseUrl);
    tab2.jar.set("session", loggedIn);

    gates.set("regenerate", new Gate());
    // The regenerate has loaded the logged-in session and waits inside its handler.
    const regenerating = tab1.get("/gated-regenerate");
    await gates.get("regenerate")!.entered;
    const logout = await tab2.get("/logout");
    expect(sessionCookies(logout.setCookies)[0]?.value).toBe("");
    gates.get("regenerate")!.release();
    const late = await regenerating;
    expect(late.status).toBe(200);

    // No new session went out, and nothing in the store holds the user's data.
    const issued = sessionCookies(late.setCookies).filter((cookie) => cookie.value !== "");
    expect(issued).toEqual([]);
    for (const value of [loggedIn, ...issued.map((cookie) => cookie.value)]) {
      const replay = await tab1.get("/read", { headers: { cookie: `session=${value}` } });
      expect(JSON.parse(replay.body)).toEqual({ data: {}, isFresh: true });
    }
    if (census) expect(await census("racer")).toBe(0);
  });
});
