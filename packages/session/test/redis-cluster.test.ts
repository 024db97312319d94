/**
 * RedisSessionStore on a real 3-master Redis Cluster through node-redis's
 * createCluster: every command touches one key, so none can span slots,
 * and regenerate (old and new keys in different slots) just works.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore } from "../src/index.js";
import { hashSessionId, splitSessionId } from "../src/stores/session-id.js";
import { userTag } from "./support/user-tags.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { commandDelta, startRedisCluster, type RedisCluster } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { clientCommandsDuring } from "./support/redis-monitor.js";
import { describeStoreContract } from "./support/store-contract.js";
import { serveUserApp } from "./support/user-app.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let cluster: RedisCluster;
let client: ReturnType<typeof createCluster>;

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = createCluster({ rootNodes: cluster.rootNodes });
}, 30_000);
afterAll(async () => {
  if (client?.isOpen) await client.close();
  await cluster?.stop();
});

describeStoreContract({ name: "RedisSessionStore on a Redis Cluster", revocable: true, indexesUsers: true, tagsUsers: true }, async () => {
  const make = (secret: string | undefined) =>
    new RedisSessionStore<Record<string, unknown>>({ userTagSecret: secret, getClient: () => client, prefix: "contract:" });
  return { store: make(userTagSecret), withUserTagSecret: make };
});

describe("RedisSessionStore on a Redis Cluster over HTTP", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  async function start() {
    served = await serveSessionApp({ store: new RedisSessionStore({ userTagSecret, getClient: () => client }) });
    return new CookieClient(served.url);
  }

  async function commandsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = await cluster.commandStats();
    await action();
    const delta = commandDelta(await cluster.commandStats(), before);
    delta.delete("info");
    return Object.fromEntries(delta);
  }

  /** The node whose slots hold `key`, by asking each one. */
  async function nodeOf(key: string): Promise<number> {
    for (const { port } of cluster.nodes) {
      const { stdout } = await promisify(execFile)("redis-cli", ["-p", String(port), "EXISTS", key], { timeout: 5000 });
      if (stdout.trim() === "1") return port;
    }
    return -1;
  }

  it("logs in, regenerates across slots, and logs out", async () => {
    const browser = await start();
    const ids: string[] = [];
    // Enough sessions that all landing on one node is a 1-in-a-billion event.
    for (let i = 0; i < 20; i++) {
      const other = new CookieClient(served!.url);
      await other.get("/increment");
      ids.push(other.jar.get("session")!);
    }
    const nodes = new Set(await Promise.all(ids.map(async (id) => nodeOf(`session:${await hashSessionId(id)}`))));
    expect(nodes.has(-1)).toBe(false);
    expect(nodes.size).toBeGreaterThan(1);

    await browser.get("/increment");
    const oldId = browser.jar.get("session")!;
    await browser.get("/login?user=ada");
    const newId = browser.jar.get("session")!;
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1, user: "ada" }, isFresh: false });
    expect(await nodeOf(`session:${await hashSessionId(oldId)}`)).toBe(-1);

    await browser.get("/logout");
    expect(await nodeOf(`session:${await hashSessionId(newId)}`)).toBe(-1);
    expect(JSON.parse((await browser.get("/read")).body).isFresh).toBe(true);
  });

  it("runs one GET for a read-only request and at most two commands for a write, across the cluster", async () => {
    const browser = await start();
    await browser.get("/increment");
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({ get: 1 });
    expect(await commandsDuring(() => browser.get("/increment"))).toEqual({ get: 1, set: 1 });
    expect(await commandsDuring(() => browser.get("/login"))).toEqual({ get: 1, del: 1, set: 1 });
  });
});

describe("a user's sessions on a Redis Cluster", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  async function start() {
    served = await serveUserApp({ store: new RedisSessionStore({ userTagSecret, getClient: () => client }) });
    return () => new CookieClient(served!.url);
  }

  const cli = async (...args: string[]) =>
    (await promisify(execFile)("redis-cli", ["-p", String(cluster.nodes[0]!.port), ...args], { timeout: 5000 })).stdout.trim();
  const slotOf = (key: string) => cli("CLUSTER", "KEYSLOT", key);

  it("keeps each user's index in the slot of that user's sessions, and users apart", async () => {
    const device = await start();
    const slots = new Set<string>();
    for (const user of ["ada", "grace", "edsger", "barbara", "donald", "frances"]) {
      const [laptop, phone] = [device(), device()];
      await laptop.get(`/login?user=${user}`);
      await phone.get(`/login?user=${user}`);
      const tag = await userTag(user);
      const index = await slotOf(`session:{${tag}}:sessions`);
      for (const browser of [laptop, phone]) {
        const id = browser.jar.get("session")!;
        expect(splitSessionId(id).tag).toBe(tag);
        expect(await slotOf(`session:{${tag}}${await hashSessionId(id)}`)).toBe(index);
      }
      expect(JSON.parse((await laptop.get("/sessions")).body)).toHaveLength(2);
      slots.add(index);
    }
    expect(slots.size).toBeGreaterThan(1);
  });

  it("costs the same commands as on one node: a login's DEL and script in one round trip, a read or a write one script", async () => {
    const device = await start();
    const ports = cluster.nodes.map((node) => node.port);
    const commandsDuring = (action: () => Promise<unknown>) => clientCommandsDuring(ports, action);
    const warmUp = device();
    for (const path of ["/login?user=ada", "/login?user=ada", "/revoke-others", "/logout"]) await warmUp.get(path);

    const [laptop, phone] = [device(), device()];
    await phone.get("/login?user=ada");
    await laptop.get("/change");
    expect(await commandsDuring(() => laptop.get("/login?user=ada"))).toEqual({ get: 1, del: 1, evalsha: 1 });
    // A bound session is read by a script on its user's slot that also checks its index entry.
    expect(await commandsDuring(() => laptop.get("/touch"))).toEqual({ evalsha: 1 });
    expect(await commandsDuring(() => laptop.get("/change"))).toEqual({ evalsha: 2 });
    expect(await commandsDuring(() => laptop.get("/sessions"))).toEqual({ evalsha: 1, zrange: 1, mget: 1 });
    expect(await commandsDuring(() => laptop.get("/login?user=ada"))).toEqual({ evalsha: 2 });
    expect(await commandsDuring(() => laptop.get("/revoke-others"))).toEqual({ evalsha: 3 });
    expect(JSON.parse((await phone.get("/whoami")).body)).toEqual({ user: null, isFresh: true });
  });
});
