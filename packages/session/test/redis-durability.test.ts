/**
 * RedisSessionStore's `durability` option on real replicated Redis: a
 * primary with one replica (standalone client), a Sentinel deployment
 * (createSentinel) and a Cluster with a replica per shard (createCluster).
 * A replica frozen with SIGSTOP stands for one that lags or is cut off:
 * logins then answer 503 with no cookie, logouts answer 503 and still
 * clear the cookie, and the store's WAIT goes only to the key's primary.
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { createClient, createCluster, createSentinel } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  RedisSessionStore,
  SessionSetupError,
  SessionStoreUnavailableError,
  session,
  type RedisClientLike,
  type RedisSessionStoreOptions,
} from "../src/index.js";
import { hashSessionId } from "../src/stores/session-id.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { commandDelta, parseCommandStats, type RedisServer } from "./support/redis-server.js";
import {
  startReplicatedCluster,
  startReplicatedRedis,
  startSentinelDeployment,
  waitForReplicaLink,
  type ReplicatedCluster,
  type ReplicatedRedis,
  type SentinelDeployment,
} from "./support/redis-replicas.js";
import { serve, type Served } from "./support/serve.js";
import { describeStoreContract } from "./support/store-contract.js";
import { serveUserApp } from "./support/user-app.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

// Generous for a loaded CI machine. The WAIT gets half of it.
const TIMEOUT_MS = 1500;
const WAIT_MS = 300;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function startApp(client: RedisClientLike, options: Partial<RedisSessionStoreOptions> = {}) {
  const store = new RedisSessionStore({ userTagSecret, getClient: () => client, timeout: TIMEOUT_MS, ...options });
  const served: Served = await serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) =>
          error instanceof SessionStoreUnavailableError
            ? new Response(`unavailable: ${error.message}`, { status: 503 })
            : new Response("unexpected", { status: 500 });
      },
      cookie(),
      session({ store }),
      sessionRoutes,
    ),
  );
  cleanups.push(() => served.close());
  return new CookieClient(served.url);
}

/** Freezes `replica` until the cleanup (or `thaw`) runs: the primary keeps it as connected, but nothing is acknowledged. */
function freeze(replica: RedisServer): () => void {
  replica.pause();
  let thawed = false;
  const thaw = () => {
    if (!thawed) replica.resume();
    thawed = true;
  };
  cleanups.push(async () => thaw());
  return thaw;
}

async function keyExists(node: RedisServer, id: string): Promise<boolean> {
  return (await node.cli("EXISTS", `session:${await hashSessionId(id)}`)).trim() === "1";
}

describe("durability with a primary and one replica (createClient)", () => {
  let redis: ReplicatedRedis;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    redis = await startReplicatedRedis(1);
    client = createClient({ url: redis.primary.url });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await redis?.stop();
  });

  it("sends one WAIT with each login and logout, in the same pipeline as the write, and none with reads or updates", async () => {
    const browser = await startApp(client, { durability: { replicas: 1, timeout: WAIT_MS } });
    const count = async (action: () => Promise<unknown>) => {
      const before = parseCommandStats(await redis.primary.cli("INFO", "commandstats"));
      await action();
      const delta = commandDelta(parseCommandStats(await redis.primary.cli("INFO", "commandstats")), before);
      // Leaves out INFO and the connection's handshake (HELLO, CLIENT SETINFO) on first use.
      return Object.fromEntries([...delta].filter(([command]) => ["get", "set", "del", "wait"].includes(command)));
    };
    expect(await count(() => browser.get("/increment"))).toEqual({ set: 1, wait: 1 }); // a new session
    expect(await count(() => browser.get("/increment"))).toEqual({ get: 1, set: 1 }); // an update
    expect(await count(() => browser.get("/read"))).toEqual({ get: 1 });
    expect(await count(() => browser.get("/login?user=ada"))).toEqual({ get: 1, del: 1, set: 1, wait: 2 });
    const loggedIn = browser.jar.get("session")!;
    expect(await keyExists(redis.replicas[0]!, loggedIn)).toBe(true);
    expect(await count(() => browser.get("/logout"))).toEqual({ get: 1, del: 1, wait: 1 });
    expect(await keyExists(redis.replicas[0]!, loggedIn)).toBe(false);
  });

  it("answers a login 503 with no cookie when the replica does not confirm within the wait", async () => {
    const browser = await startApp(client, { durability: { replicas: 1, timeout: WAIT_MS } });
    await browser.get("/increment");
    const before = browser.jar.get("session");
    freeze(redis.replicas[0]!);

    const started = Date.now();
    const login = await browser.get("/login?user=ada");
    const tookMs = Date.now() - started;
    expect(login.status).toBe(503);
    expect(login.body).toContain("only 0 of the 1 replicas required");
    expect(login.setCookies).toEqual([]);
    expect(browser.jar.get("session")).toBe(before);
    // Answered after the wait, not after the store's whole timeout.
    expect(tookMs).toBeGreaterThanOrEqual(WAIT_MS - 20);
    expect(tookMs).toBeLessThan(TIMEOUT_MS);
  });

  it("answers a logout 503 when the replica does not confirm, and clears the cookie all the same", async () => {
    const browser = await startApp(client, { durability: { replicas: 1, timeout: WAIT_MS } });
    await browser.get("/login?user=ada");
    const id = browser.jar.get("session")!;
    freeze(redis.replicas[0]!);

    const logout = await browser.get("/logout");
    expect(logout.status).toBe(503);
    expect(logout.setCookies).toHaveLength(1);
    expect(logout.setCookies[0]).toMatch(/^session=;.*Max-Age=0/i);
    expect(browser.jar.has("session")).toBe(false);
    // The primary applied the DEL; only its confirmation was missing.
    expect(await keyExists(redis.primary, id)).toBe(false);
  });

  it("without durability, the same login succeeds while the replica is frozen", async () => {
    const browser = await startApp(client);
    freeze(redis.replicas[0]!);
    const login = await browser.get("/login?user=ada");
    expect(login.status).toBe(303);
    expect(browser.jar.get("session")).toBeDefined();
  });

  it("serves logins again, with no restart, once the replica confirms again", async () => {
    const browser = await startApp(client, { durability: { replicas: 1, timeout: WAIT_MS } });
    const thaw = freeze(redis.replicas[0]!);
    expect((await browser.get("/login?user=ada")).status).toBe(503);
    thaw();
    await waitForReplicaLink(redis.replicas[0]!);
    expect((await browser.get("/login?user=ada")).status).toBe(303);
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { user: "ada" }, isFresh: false });
  });

  it("refuses to wait for more replicas than are connected: every login fails, none is acknowledged", async () => {
    const browser = await startApp(client, { durability: { replicas: 2, timeout: WAIT_MS } });
    const login = await browser.get("/login?user=ada");
    expect(login.status).toBe(503);
    expect(login.body).toContain("only 1 of the 2 replicas required");
  });
});

describe("durability for sessions bound to a user (the user index scripts)", () => {
  let redis: ReplicatedRedis;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    redis = await startReplicatedRedis(1);
    client = createClient({ url: redis.primary.url });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await redis?.stop();
  });

  async function startUserApp() {
    const store = new RedisSessionStore({
      userTagSecret,
      getClient: () => client,
      timeout: TIMEOUT_MS,
      durability: { replicas: 1, timeout: WAIT_MS },
    });
    const served = await serveUserApp({ store });
    cleanups.push(() => served.close());
    return () => new CookieClient(served.url);
  }

  it("waits for the replica on a bound login and on a revoke, with the script in the same pipeline", async () => {
    const browser = await startUserApp();
    const laptop = browser();
    const phone = browser();
    const stats = async () => parseCommandStats(await redis.primary.cli("INFO", "commandstats"));
    // The first bound write of this client may meet NOSCRIPT and send the script's source: counted from the second.
    expect((await laptop.get("/login?user=ada")).status).toBe(200);
    const before = await stats();
    expect((await phone.get("/login?user=ada")).status).toBe(200);
    const after = await stats();
    expect(after.get("wait")).toBe(before.get("wait")! + 1);
    expect(after.get("evalsha")).toBe(before.get("evalsha")! + 1);
    expect(await keyCount(redis.replicas[0]!)).toBeGreaterThanOrEqual(3); // two sessions and the user's index
    expect((await laptop.get("/revoke-others")).status).toBe(200);
    expect((await stats()).get("wait")).toBeGreaterThan(after.get("wait")!);
    expect(JSON.parse((await phone.get("/whoami")).body)).toEqual({ user: null, isFresh: true });
  });

  it("refuses a bound login and a revoke the frozen replica did not confirm, and still ends the session on logout", async () => {
    const browser = await startUserApp();
    const laptop = browser();
    const phone = browser();
    expect((await laptop.get("/login?user=grace")).status).toBe(200);
    expect((await phone.get("/login?user=grace")).status).toBe(200);
    freeze(redis.replicas[0]!);

    const tablet = browser();
    const login = await tablet.get("/login?user=grace");
    expect(login.status).toBe(503);
    expect(login.setCookies).toEqual([]);
    expect((await laptop.get("/revoke-others")).status).toBe(503);
    const logout = await laptop.get("/logout");
    expect(logout.status).toBe(503);
    expect(logout.setCookies[0]).toMatch(/^session=;.*Max-Age=0/i);
  });

  it("falls back to EVAL inside the durable pipeline when the primary has forgotten its scripts", async () => {
    const browser = await startUserApp();
    expect((await browser().get("/login?user=lin")).status).toBe(200);
    await redis.primary.cli("SCRIPT", "FLUSH");
    const phone = browser();
    expect((await phone.get("/login?user=lin")).status).toBe(200);
    expect(JSON.parse((await phone.get("/whoami")).body)).toEqual({ user: "lin", isFresh: false });
  });
});

async function keyCount(node: RedisServer): Promise<number> {
  return Number((await node.cli("DBSIZE")).trim());
}

describe("durability settings", () => {
  const getClient = () => createClient();
  it.each([
    [{ replicas: 0 }, "durability.replicas"],
    [{ replicas: 1.5 }, "durability.replicas"],
    [{ replicas: 1, timeout: 0 }, "durability.timeout"],
    [{ replicas: 1, timeout: 2000 }, "durability.timeout"],
    [{ replicas: 1, timeout: 10.5 }, "durability.timeout"],
  ])("refuses %j with a SessionSetupError naming the option", (durability, option) => {
    expect(() => new RedisSessionStore({ userTagSecret, getClient, durability })).toThrow(SessionSetupError);
    expect(() => new RedisSessionStore({ userTagSecret, getClient, durability })).toThrow(option);
  });

  it("defaults the wait to half the store's timeout", () => {
    expect(() => new RedisSessionStore({ userTagSecret, getClient, timeout: 300, durability: { replicas: 1 } })).not.toThrow();
  });
});

describe("RedisSessionStore through a Sentinel client (createSentinel)", () => {
  let deployment: SentinelDeployment;
  let sentinel: ReturnType<typeof createSentinel>;
  beforeAll(async () => {
    deployment = await startSentinelDeployment();
    sentinel = createSentinel({ name: deployment.masterName, sentinelRootNodes: deployment.sentinelRootNodes });
  }, 90_000);
  afterAll(async () => {
    await sentinel?.destroy();
    await deployment?.stop();
  });

  describeStoreContract({ name: "RedisSessionStore through Sentinel", revocable: true }, async () => ({
    store: new RedisSessionStore({ userTagSecret, getClient: () => sentinel, prefix: "contract:", durability: { replicas: 1 } }),
  }));

  it("connects on first use, waits for the replica on login and logout, and refuses a login the frozen replica did not confirm", async () => {
    const browser = await startApp(sentinel, { durability: { replicas: 1, timeout: WAIT_MS } });
    expect((await browser.get("/login?user=ada")).status).toBe(303);
    const [primary, replica] = deployment.nodes;
    expect(await keyExists(replica!, browser.jar.get("session")!)).toBe(true);
    expect((await browser.get("/logout")).status).toBe(303);

    freeze(replica!);
    const login = await browser.get("/login?user=grace");
    expect(login.status).toBe(503);
    expect(login.setCookies).toEqual([]);
    expect(await primary!.cli("ROLE")).toMatch(/^master/);
  });

  it("fails fast with SessionStoreUnavailableError when no sentinel answers", async () => {
    const unreachable = createSentinel({ name: deployment.masterName, sentinelRootNodes: [{ host: "127.0.0.1", port: 1 }] });
    unreachable.on("error", () => {});
    cleanups.push(() => unreachable.destroy());
    const browser = await startApp(unreachable, { timeout: 500 });
    const started = Date.now();
    expect((await browser.get("/increment")).status).toBe(503);
    // The first request gets the whole timeout to connect; the next ones are refused at once.
    const again = Date.now();
    expect((await browser.get("/increment")).status).toBe(503);
    expect(Date.now() - again).toBeLessThan(400);
    expect(again - started).toBeLessThan(2000);
  });
});

describe("durability on a Cluster with a replica per shard (createCluster)", () => {
  let cluster: ReplicatedCluster;
  let client: ReturnType<typeof createCluster>;
  beforeAll(async () => {
    cluster = await startReplicatedCluster();
    client = createCluster({ rootNodes: cluster.rootNodes });
  }, 90_000);
  afterAll(async () => {
    if (client?.isOpen) client.destroy();
    await cluster?.stop();
  });

  it("sends each WAIT to the primary that holds the key, never to every shard", async () => {
    // Only where each WAIT goes counts here, so a loaded machine gets time for the replica to confirm.
    const browser = await startApp(client, { timeout: 5000, durability: { replicas: 1, timeout: 3000 } });
    for (let i = 0; i < 6; i++) {
      const other = new CookieClient(browser.baseUrl);
      const perNode = async () =>
        Promise.all(cluster.nodes.map(async (node) => parseCommandStats(await node.cli("INFO", "commandstats")).get("wait") ?? 0));
      const before = await perNode();
      const login = await other.get("/login?user=ada");
      expect(login.status, login.body).toBe(303);
      const after = await perNode();
      const waited = cluster.nodes.filter((_, index) => after[index]! > before[index]!);
      expect(waited).toEqual([await cluster.primaryOf(`session:${await hashSessionId(other.jar.get("session")!)}`)]);
      expect(after[cluster.nodes.indexOf(waited[0]!)]! - before[cluster.nodes.indexOf(waited[0]!)]!).toBe(1);
    }
  });

  it("refuses logins on the shard whose replica is frozen and serves the others", async () => {
    const { baseUrl } = await startApp(client, { durability: { replicas: 1, timeout: WAIT_MS } });
    const frozenShard = cluster.shards[0]!;
    freeze(frozenShard.second);
    const outcomes = { refused: 0, served: 0 };
    for (let i = 0; i < 24; i++) {
      const other = new CookieClient(baseUrl);
      const response = await other.get("/increment");
      const primary = response.status === 200 ? await cluster.primaryOf(`session:${await hashSessionId(other.jar.get("session")!)}`) : undefined;
      if (response.status === 503) outcomes.refused++;
      else {
        expect(response.status).toBe(200);
        expect(primary).not.toBe(frozenShard.first);
        outcomes.served++;
      }
    }
    // 24 new sessions in random slots: both outcomes, except with odds of about 1 in 16,000.
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.served).toBeGreaterThan(0);
  });
});
