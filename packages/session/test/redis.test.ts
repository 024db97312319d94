import { createClient, RESP_TYPES } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestHandler } from "@hattip/compose";
import { hashSessionId } from "../src/stores/session-id.js";
import { userTag } from "./support/user-tags.js";
import { MAX_LISTED_USER_SESSIONS, RedisSessionStore, type SessionOptions, type SessionRecord } from "../src/index.js";
import { serveSessionApp, sessionRoutes } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { commandDelta, startRedis, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { describeStoreContract } from "./support/store-contract.js";
import { clientCommandsDuring } from "./support/redis-monitor.js";
import { serveUserApp } from "./support/user-app.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let redis: RedisServer;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
});
afterAll(async () => {
  if (client?.isOpen) await client.close();
  await redis?.stop();
});

describeStoreContract({ name: "RedisSessionStore", revocable: true, indexesUsers: true, tagsUsers: true }, async () => {
  const make = (secret: string | undefined) =>
    new RedisSessionStore<Record<string, unknown>>({ userTagSecret: secret, getClient: () => client, prefix: "contract:" });
  return { store: make(userTagSecret), withUserTagSecret: make };
});

describe("RedisSessionStore over HTTP", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
    await redis.cli("FLUSHALL");
  });

  async function start(options: Partial<SessionOptions> = {}, routes?: RequestHandler) {
    const store = new RedisSessionStore({ userTagSecret, getClient: () => client });
    served = await serveSessionApp({ store, ...options }, routes);
    return new CookieClient(served.url);
  }

  const sessionKeys = async () => (await redis.cli("--raw", "KEYS", "session:*")).split("\n").filter(Boolean);
  /** Commands Redis ran during `action`, without the INFO calls that measure them. */
  async function commandsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = await redis.commandStats();
    await action();
    const delta = commandDelta(await redis.commandStats(), before);
    delta.delete("info");
    return Object.fromEntries(delta);
  }

  it("keeps the session in Redis under the SHA-256 of its ID, never the ID itself", async () => {
    const browser = await start();
    await browser.get("/increment");
    await browser.get("/increment");
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 2 }, isFresh: false });

    const id = browser.jar.get("session")!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessionKeys()).toEqual([`session:${await hashSessionId(id)}`]);
    expect((await redis.cli("--raw", "KEYS", `*${id}*`)).trim()).toBe("");
  });

  it("sets the Redis TTL with the value, in milliseconds, to the session lifetime", async () => {
    const browser = await start({ cookieOptions: { maxAge: 90 } });
    await browser.get("/increment");
    const [key] = await sessionKeys();
    const pttl = Number(await redis.cli("PTTL", key!));
    expect(pttl).toBeGreaterThan(80_000);
    expect(pttl).toBeLessThanOrEqual(90_000);
  });

  it("deletes the old record on regenerate and serves the data under the new ID only", async () => {
    const browser = await start();
    await browser.get("/increment");
    const oldId = browser.jar.get("session")!;
    await browser.get("/login?user=ada");
    const newId = browser.jar.get("session")!;
    expect(newId).not.toBe(oldId);
    expect(await sessionKeys()).toEqual([`session:${await hashSessionId(newId)}`]);
    expect(JSON.parse((await browser.get("/read")).body).data).toEqual({ count: 1, user: "ada" });

    const attacker = new CookieClient(served!.url);
    attacker.jar.set("session", oldId);
    expect(JSON.parse((await attacker.get("/read")).body)).toEqual({ data: {}, isFresh: true });
  });

  it("deletes the record and clears the cookie on destroy", async () => {
    const browser = await start();
    await browser.get("/increment");
    const response = await browser.get("/logout");
    expect(parseSetCookie(response.setCookies[0]!).attributes.get("max-age")).toBe("0");
    expect(await sessionKeys()).toEqual([]);
  });

  it("never adopts an unknown ID: the session is saved under a new one", async () => {
    const browser = await start();
    const planted = "A".repeat(43);
    browser.jar.set("session", planted);
    expect(JSON.parse((await browser.get("/increment")).body)).toEqual({ count: 1 });
    const issued = browser.jar.get("session")!;
    expect(issued).not.toBe(planted);
    expect(await sessionKeys()).toEqual([`session:${await hashSessionId(issued)}`]);
  });

  it.each([
    ["a value not in the record format", ["SET", "{key}", "not a session"]],
    ["a record whose data is not JSON", ["SET", "{key}", `1|${Date.now()}|${Date.now() + 60_000}|{oops`]],
    ["a record whose data is an array", ["SET", "{key}", `1|${Date.now()}|${Date.now() + 60_000}|[1,2]`]],
    ["a key of another Redis type", ["HSET", "{key}", "field", "value"]],
  ])("gives a fresh session, not a 500, for %s", async (_, command) => {
    const browser = await start();
    await browser.get("/increment");
    const key = `session:${await hashSessionId(browser.jar.get("session")!)}`;
    await redis.cli("DEL", key);
    await redis.cli(...command.map((part) => (part === "{key}" ? key : part)));

    const response = await browser.get("/read");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: {}, isFresh: true });
  });

  it("rejects data that the serializer's parse refuses", async () => {
    const store = new RedisSessionStore<{ count?: number }>({
      userTagSecret,
      getClient: () => client,
      serializationOptions: {
        parse(text) {
          const data = JSON.parse(text) as { count?: unknown };
          if (typeof data.count !== "number") throw new TypeError("count must be a number");
          return { count: data.count };
        },
      },
    });
    const ctx = {} as never;
    const id = await store.save(null, { count: 1 }, 60_000, ctx);
    await redis.cli("SET", `session:${await hashSessionId(id)}`, `1|${Date.now()}|${Date.now() + 60_000}|{"count":"1"}`);
    expect(await store.load(id, ctx)).toBeNull();
  });

  it("reads sessions through a client that maps strings to Buffers", async () => {
    const bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const store = new RedisSessionStore({ userTagSecret, getClient: () => bytes });
    const id = await store.save(null, { user: "ada" }, 60_000, {} as never);
    expect(await store.load(id, {} as never)).toEqual({ user: "ada" });
  });

  it("runs one GET for a read-only request and at most two commands for a write", async () => {
    const browser = await start();
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({});
    expect(await commandsDuring(() => browser.get("/increment"))).toEqual({ set: 1 });
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({ get: 1 });
    expect(await commandsDuring(() => browser.get("/increment"))).toEqual({ get: 1, set: 1 });
    expect(await commandsDuring(() => browser.get("/logout"))).toEqual({ get: 1, del: 1 });
  });

  it("regenerates with one DEL and one SET after the GET, since the two keys may live on different nodes", async () => {
    const browser = await start();
    await browser.get("/increment");
    expect(await commandsDuring(() => browser.get("/login"))).toEqual({ get: 1, del: 1, set: 1 });
  });

  it("slides the expiry of a rolling session with a single SET when the refresh is due", async () => {
    const browser = await start({ cookieOptions: { maxAge: 60 }, rolling: { refreshInterval: 0.001 } });
    await browser.get("/increment");
    const [key] = await sessionKeys();
    // The record's header: `3.<createdAt>.<expiresAt>.`, in base 36.
    const timestampsOf = async () =>
      (await redis.cli("--raw", "GET", key!))
        .split(".", 3)
        .slice(1)
        .map((digits) => Number.parseInt(digits, 36));
    const [createdAt] = await timestampsOf();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({ get: 1, set: 1 });
    const [storedCreatedAt, storedExpiresAt] = await timestampsOf();
    expect(storedCreatedAt).toBe(createdAt);
    expect(storedExpiresAt).toBeGreaterThan(createdAt! + 60_000);
  });

  it("shares one connection across requests", async () => {
    const browser = await start();
    for (let i = 0; i < 10; i++) await browser.get("/increment");
    const clients = (await redis.cli("CLIENT", "LIST")).split("\n").filter((line) => line && !line.includes("cmd=client|list"));
    expect(clients).toHaveLength(1);
  });

  it("does not bring back a session destroyed while a slower request was using it", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const routes: RequestHandler = async (ctx) => {
      if (ctx.url.pathname !== "/slow-write") return sessionRoutes(ctx);
      entered();
      await gate;
      ctx.session.data.count = 99;
      return Response.json(ctx.session.data);
    };
    const tab1 = await start({}, routes);
    await tab1.get("/login?user=ada");
    const tab2 = new CookieClient(served!.url);
    tab2.jar.set("session", tab1.jar.get("session")!);

    const slow = tab1.get("/slow-write");
    await inside;
    await tab2.get("/logout");
    release();
    expect((await slow).status).toBe(200);

    expect(await sessionKeys()).toEqual([]);
    expect(JSON.parse((await tab1.get("/read")).body)).toEqual({ data: {}, isFresh: true });
  });
});

describe("a user's sessions in Redis", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
    await redis.cli("FLUSHALL");
  });

  async function start(options: Partial<SessionOptions> = {}) {
    const store = new RedisSessionStore({ userTagSecret, getClient: () => client });
    served = await serveUserApp({ store, ...options });
    return { store, device: () => new CookieClient(served!.url) };
  }

  const indexKey = async (user: string) => `session:{${await userTag(user)}}:sessions`;
  const allKeys = async () => (await redis.cli("--raw", "KEYS", "*")).split("\n").filter(Boolean);
  /** Commands the store sent (a script once, not the commands inside it). */
  const commandsDuring = (action: () => Promise<unknown>) => clientCommandsDuring([redis.port], action);
  const bound = (user: string, lifetimeMs: number): SessionRecord => {
    const now = Date.now();
    return { data: {}, createdAt: now, expiresAt: now + lifetimeMs, meta: { user, agent: "curl", seenAt: now } };
  };

  it("keeps a bound session and its user's index under the same hash tag, with no user ID in any key", async () => {
    const { device } = await start();
    const user = "ada.lovelace@example.com";
    const laptop = device();
    await laptop.get("/change");
    await laptop.get(`/login?user=${encodeURIComponent(user)}`);
    const id = laptop.jar.get("session")!;
    const tag = await userTag(user);
    expect(id).toMatch(new RegExp(`^[A-Za-z0-9_-]{43}\\.${tag}$`));
    expect((await allKeys()).sort()).toEqual([`session:{${tag}}:sessions`, `session:{${tag}}${await hashSessionId(id)}`].sort());
    expect((await allKeys()).join(" ")).not.toMatch(/ada|lovelace|example/);
    expect((await redis.cli("--raw", "ZRANGE", await indexKey(user), "0", "-1")).trim()).toBe(await hashSessionId(id));
  });

  it("costs one command a read and one more a write, listing two reads more, a login one round trip after the anonymous session's GET", async () => {
    const { device } = await start();
    // A script's first use on a server costs one more round trip: EVALSHA answers NOSCRIPT, EVAL sends it.
    await redis.cli("SCRIPT", "FLUSH");
    const warmUp = device();
    expect(await commandsDuring(() => warmUp.get("/login?user=warm-up"))).toEqual({ evalsha: 1, eval: 1 });
    for (const path of ["/login?user=warm-up", "/revoke-others", "/logout"]) await warmUp.get(path);
    const [laptop, phone] = [device(), device()];
    await phone.get("/login?user=ada");

    expect(await commandsDuring(() => laptop.get("/login?user=ada"))).toEqual({ evalsha: 1 });
    // A bound session is read by a script that also checks its index entry: one command, as a GET would be.
    expect(await commandsDuring(() => laptop.get("/touch"))).toEqual({ evalsha: 1 });
    expect(await commandsDuring(() => laptop.get("/change"))).toEqual({ evalsha: 2 });
    expect(await commandsDuring(() => laptop.get("/sessions"))).toEqual({ evalsha: 1, zrange: 1, mget: 1 });
    // A re-login moves the session within its user's slot: one script.
    expect(await commandsDuring(() => laptop.get("/login?user=ada"))).toEqual({ evalsha: 2 });
    expect(await commandsDuring(() => laptop.get("/revoke-others"))).toEqual({ evalsha: 3 });
    expect(await commandsDuring(() => laptop.get("/logout"))).toEqual({ evalsha: 2 });
    // From an anonymous session: its DEL and the new session's script go out together.
    await laptop.get("/change");
    expect(await commandsDuring(() => laptop.get("/login?user=ada"))).toEqual({ get: 1, del: 1, evalsha: 1 });
    await phone.get("/login?user=ada");
    const handle = JSON.parse((await phone.get("/sessions")).body).find((session: { current: boolean }) => !session.current).handle;
    expect(await commandsDuring(() => phone.get(`/revoke?handle=${handle}`))).toEqual({ evalsha: 2, zrange: 1 });
  });

  it("gives the index the TTL of its newest member and prunes expired members on the next write", async () => {
    const { store } = await start();
    const ctx = {} as never;
    const index = await indexKey("ada");
    await store.createRecord(bound("ada", 10_000), ctx);
    const pttl = async () => Number(await redis.cli("PTTL", index));
    expect(await pttl()).toBeGreaterThan(9_000);
    expect(await pttl()).toBeLessThanOrEqual(10_000);
    const longest = await store.createRecord(bound("ada", 60_000), ctx);
    expect(await pttl()).toBeGreaterThan(59_000);
    // The index lives as long as its newest member, to the millisecond of that key's own expiry.
    const expiresAt = async (key: string) => Number(await redis.cli("PEXPIRETIME", key));
    expect(await expiresAt(index)).toBe(await expiresAt(`session:{${await userTag("ada")}}${await hashSessionId(longest)}`));

    const shortLived = await hashSessionId(await store.createRecord(bound("ada", 200), ctx));
    const members = async () => (await redis.cli("--raw", "ZRANGE", index, "0", "-1")).split("\n").filter(Boolean);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Expired, but only a write prunes: a listing skips it without writing.
    expect(await members()).toContain(shortLived);
    expect((await store.listUserSessions("ada")).length).toBe(2);
    expect(await members()).toContain(shortLived);
    await store.createRecord(bound("ada", 10_000), ctx);
    expect(await members()).not.toContain(shortLived);
    expect(await members()).toHaveLength(3);
  });

  it("lets a stale index entry keep nothing alive, list nothing and stop no revoke", async () => {
    const { store, device } = await start();
    const laptop = device();
    await laptop.get("/login?user=ada");
    const index = await indexKey("ada");
    // An entry whose session is gone (say, a key deleted by hand) with a score far in the future.
    await redis.cli("ZADD", index, String(Date.now() + 3_600_000), "B".repeat(43));
    expect((await store.listUserSessions("ada")).map((session) => session.device)).toEqual(["Unknown device"]);
    await store.revokeUserSessions("ada");
    expect(JSON.parse((await laptop.get("/whoami")).body)).toEqual({ user: null, isFresh: true });
    expect(await allKeys()).toEqual([]);
  });

  it("refuses a login rather than store a session its index cannot name, when the index key holds another type", async () => {
    const { device } = await start();
    await redis.cli("SET", await indexKey("ada"), "not a sorted set");
    const laptop = device();
    const login = await laptop.get("/login?user=ada");
    expect(login.status).toBe(503);
    expect(JSON.parse(login.body).message).toMatch(/holds another type/);
    expect(await allKeys()).toEqual([await indexKey("ada")]);
    await redis.cli("DEL", await indexKey("ada"));
    expect((await laptop.get("/login?user=ada")).status).toBe(200);
  });

  it(`reads only the ${MAX_LISTED_USER_SESSIONS} latest members of a long index to list, and revokes every member`, async () => {
    const { store } = await start();
    const sent: { zRange: unknown[][]; mGet: number[] } = { zRange: [], mGet: [] };
    // The real client, with the arguments of its index reads noted; so is every view of it (the store sends
    // its commands through client.withCommandOptions(), with node-redis's own per-command timer off).
    const noting = <Client extends typeof client>(real: Client): Client =>
      new Proxy(real, {
        get(target, property) {
          if (property === "zRange")
            return (key: string, start: number, stop: number) => (sent.zRange.push([start, stop]), target.zRange(key, start, stop));
          if (property === "mGet") return (keys: string[]) => (sent.mGet.push(keys.length), target.mGet(keys));
          if (property === "withCommandOptions") return (options: object) => noting(target.withCommandOptions(options) as Client);
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const listing = new RedisSessionStore({ userTagSecret, getClient: () => noting(client) });
    for (let i = 0; i < MAX_LISTED_USER_SESSIONS + 30; i++) await store.createRecord(bound("ada", 60_000 + i), {} as never);
    const listed = await listing.listUserSessions("ada");
    expect(listed).toHaveLength(MAX_LISTED_USER_SESSIONS);
    expect(sent).toEqual({ zRange: [[-MAX_LISTED_USER_SESSIONS, -1]], mGet: [MAX_LISTED_USER_SESSIONS] });
    await store.revokeUserSessions("ada");
    expect(await allKeys()).toEqual([]);
  });

  it("lists through a client that maps strings to Buffers", async () => {
    const bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const store = new RedisSessionStore({ userTagSecret, getClient: () => bytes });
    await store.createRecord(bound("ada", 60_000), {} as never);
    expect((await store.listUserSessions("ada")).map((session) => session.device)).toEqual(["curl"]);
    await store.revokeUserSessions("ada");
    expect(await store.listUserSessions("ada")).toEqual([]);
  });
});
