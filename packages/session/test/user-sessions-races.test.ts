/**
 * The races of a user's sessions, over real HTTP with the interleaving made
 * certain by gates: a re-login racing sign-out-everywhere, a login landing
 * inside a sign-out-everywhere, a revoke racing a rolling refresh, two
 * logins of one user at once. Each runs on the memory store, a real
 * redis-server and the real 3-master Redis Cluster, and each ends with no
 * revoked session alive.
 *
 * Request gates park a handler after its session is loaded. Store gates
 * park a revoke-all inside the store, between its first look at the
 * user's index and its first delete, by holding its second script call
 * on the real client: the window a read-then-delete revoke would lose.
 */
import { createClient, createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestContext } from "@hattip/compose";
import {
  RedisSessionStore,
  UnsafeMemoryStore,
  type RedisClientLike,
  type SessionOptions,
  type SessionStore,
  type UserSessionIndex,
  type UserSessionInfo,
} from "../src/index.js";
import { CookieClient } from "./support/browser-like-client.js";
import { Gate } from "./support/gate.js";
import { pause } from "./support/lifetime-probe.js";
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { serveUserApp } from "./support/user-app.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let redis: RedisServer;
let cluster: RedisCluster;
let redisClient: ReturnType<typeof createClient>;
let clusterClient: ReturnType<typeof createCluster>;
const gates = new Map<string, Gate>();
const running: Served[] = [];

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  redisClient = createClient({ url: redis.url });
  clusterClient = createCluster({ rootNodes: cluster.rootNodes });
}, 30_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
  gates.clear();
});
afterAll(async () => {
  for (const client of [redisClient, clusterClient]) if (client?.isOpen) await client.close();
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

/**
 * The real client, except that the request's `store-gate` holds its second
 * revoke round (the second EVALSHA whose first key is the user's index; a
 * read of a bound session is a script too, keyed by the session) until
 * released: a revoke-all's first round has read the index, its second has
 * not deleted yet.
 */
function gatedClient(client: RedisClientLike, ctx: RequestContext | undefined): RedisClientLike {
  const name = ctx?.url.searchParams.get("store-gate");
  if (!name) return client;
  let scripts = 0;
  // The store sends its commands through a view of the client (withCommandOptions, node-redis's own timer off): gate that too.
  const gated = (real: RedisClientLike): RedisClientLike =>
    new Proxy(real, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        if (property === "withCommandOptions") return (options: object) => gated(value.call(target, options) as RedisClientLike);
        if (property !== "evalSha") return value.bind(target);
        return async (...args: unknown[]) => {
          const [, options] = args as [string, { keys: string[] }];
          if (options.keys[0]!.endsWith(":sessions") && ++scripts === 2) await gates.get(name)!.enter();
          return value.apply(target, args);
        };
      },
    });
  return gated(client);
}

interface Subject {
  name: string;
  /** `false` for a store whose revoke-all has no await inside: nothing to gate there. */
  gatesInside: boolean;
  make(): SessionStore & UserSessionIndex;
}

const subjects: Subject[] = [
  { name: "UnsafeMemoryStore", gatesInside: false, make: () => new UnsafeMemoryStore() },
  {
    name: "RedisSessionStore",
    gatesInside: true,
    make: () => new RedisSessionStore({ userTagSecret, getClient: (ctx) => gatedClient(redisClient, ctx), prefix: `${crypto.randomUUID()}:` }),
  },
  {
    name: "RedisSessionStore on a Redis Cluster",
    gatesInside: true,
    make: () => new RedisSessionStore({ userTagSecret, getClient: (ctx) => gatedClient(clusterClient, ctx), prefix: `${crypto.randomUUID()}:` }),
  },
];

async function start(store: SessionStore, options: Partial<SessionOptions> = {}) {
  const served = await serveUserApp({ store, ...options }, gates);
  running.push(served);
  return { laptop: new CookieClient(served.url), phone: new CookieClient(served.url), desktop: new CookieClient(served.url) };
}

function gate(name: string): Gate {
  const created = new Gate();
  gates.set(name, created);
  return created;
}

const whoami = async (device: CookieClient) => JSON.parse((await device.get("/whoami")).body) as { user: string | null; isFresh: boolean };
const sessions = async (device: CookieClient) => JSON.parse((await device.get("/sessions")).body) as UserSessionInfo[];
const signedOut = { user: null, isFresh: true };
const signedIn = (user: string) => ({ user, isFresh: false });

describe.each(subjects)("the races of a user's sessions on $name", (subject) => {
  it("a re-login racing sign-out-everywhere does not carry the revoked session to a new ID", async () => {
    const store = subject.make();
    const { laptop, phone } = await start(store);
    await laptop.get("/login?user=ada");
    await phone.get("/login?user=ada");

    const held = gate("relogin");
    const relogin = laptop.get("/login?user=ada&gate=relogin");
    await held.entered;
    await phone.get("/revoke-others");
    held.release();
    expect((await relogin).status).toBe(200);

    expect(await whoami(laptop)).toEqual(signedOut);
    expect(await whoami(phone)).toEqual(signedIn("ada"));
    expect((await store.listUserSessions("ada")).length).toBe(1);
  });

  // Only a store whose revoke-all awaits inside can have a login land in it: the memory store's runs in one step.
  if (subject.gatesInside) {
    it("a login landing inside a sign-out-everywhere is ended by it, a re-login and a first login alike", async () => {
      const store = subject.make();
      const { laptop, phone, desktop } = await start(store);
      await laptop.get("/login?user=ada");
      await phone.get("/login?user=ada");
      await desktop.get("/change");

      const held = gate("revoke");
      const revoke = phone.get("/revoke-others?store-gate=revoke");
      await held.entered;
      // The revoke has read the index (laptop, phone); now the laptop moves to a new ID and the desktop signs in.
      await laptop.get("/login?user=ada");
      await desktop.get("/login?user=ada");
      expect(await whoami(laptop)).toEqual(signedIn("ada"));
      expect(await whoami(desktop)).toEqual(signedIn("ada"));
      held.release();
      expect((await revoke).status).toBe(200);

      expect(await whoami(laptop)).toEqual(signedOut);
      expect(await whoami(desktop)).toEqual(signedOut);
      expect(await whoami(phone)).toEqual(signedIn("ada"));
      expect((await sessions(phone)).map((session) => session.current)).toEqual([true]);
    });
  }

  it("a revoke racing a rolling refresh: the refresh writes nothing and the session stays ended", async () => {
    const store = subject.make();
    const { laptop, phone } = await start(store, { cookieOptions: { maxAge: 120 }, rolling: { refreshInterval: 0.5 } });
    await laptop.get("/login?user=ada");
    await phone.get("/login?user=ada");
    const laptopHandle = (await sessions(laptop)).find((session) => session.current)!.handle;
    await pause(600);

    const held = gate("refresh");
    const refresh = laptop.get("/touch?gate=refresh");
    await held.entered;
    await phone.get(`/revoke?handle=${laptopHandle}`);
    held.release();
    const refreshed = await refresh;
    expect(refreshed.status).toBe(200);
    // The refresh found its session gone: no write, no cookie.
    expect(refreshed.setCookies).toEqual([]);

    expect(await whoami(laptop)).toEqual(signedOut);
    expect((await store.listUserSessions("ada")).map((session) => session.handle)).not.toContain(laptopHandle);
    expect((await store.listUserSessions("ada")).length).toBe(1);
  });

  it("two logins of one user at once both stand, both listed, and both end with a revoke-all", async () => {
    const store = subject.make();
    const { laptop, phone } = await start(store);
    await laptop.get("/change");
    await phone.get("/change");

    const [first, second] = [gate("first"), gate("second")];
    const logins = [laptop.get("/login?user=ada&gate=first"), phone.get("/login?user=ada&gate=second")];
    await Promise.all([first.entered, second.entered]);
    first.release();
    second.release();
    expect((await Promise.all(logins)).map((response) => response.status)).toEqual([200, 200]);

    expect(await whoami(laptop)).toEqual(signedIn("ada"));
    expect(await whoami(phone)).toEqual(signedIn("ada"));
    const fromLaptop = await sessions(laptop);
    const fromPhone = await sessions(phone);
    expect(fromLaptop).toHaveLength(2);
    expect(new Set(fromLaptop.map((session) => session.handle))).toEqual(new Set(fromPhone.map((session) => session.handle)));
    expect(fromLaptop.filter((session) => session.current)).toHaveLength(1);
    expect(fromPhone.filter((session) => session.current)).toHaveLength(1);

    await store.revokeUserSessions("ada");
    expect(await whoami(laptop)).toEqual(signedOut);
    expect(await whoami(phone)).toEqual(signedOut);
  });
});
