/**
 * The session cache (`session({ cache })`) over real HTTP, on every
 * server-side store on its real backend and on a real Redis Cluster: a
 * copy of the session in a second cookie answers GET and HEAD requests
 * within `maxAge`, counted by each backend's own reads; every rule about
 * which copies answer, and what a write from a copy does, is shown here.
 */
import { compose, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EncryptedCookieStore,
  RedisSessionStore,
  session,
  SignedCookieStore,
  type SessionOptions,
  type SessionStore,
  type UserSessionIndex,
} from "../src/index.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient, parseSetCookie, type ClientResponse } from "./support/browser-like-client.js";
import { useEveryStore, type StoreKit } from "./support/every-store.js";
import { Gate } from "./support/gate.js";
import { pause } from "./support/lifetime-probe.js";
import { startRedisCluster, type RedisCluster } from "./support/redis-server.js";
import { serve, type Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let cluster: RedisCluster;
let clusterClient: ReturnType<typeof createCluster>;
beforeAll(async () => {
  cluster = await startRedisCluster();
  clusterClient = createCluster({ rootNodes: cluster.rootNodes });
}, 30_000);
afterAll(async () => {
  if (clusterClient?.isOpen) await clusterClient.close();
  await cluster?.stop();
});

const clusterKit: StoreKit = {
  name: "RedisSessionStore on a Redis Cluster",
  serverSide: true,
  make: async () => new RedisSessionStore({ userTagSecret, getClient: () => clusterClient, prefix: `${crypto.randomUUID()}:` }),
  reads: async () => (await cluster.commandStats()).get("get") ?? 0,
};
const everyStore = useEveryStore();
const serverStores = [...everyStore.filter((kit) => kit.serverSide), clusterKit];
const cookieStores = everyStore.filter((kit) => !kit.serverSide);

const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

/** Where a test parks a request inside its handler. */
let gate: Gate | undefined;

/** The shared session routes, and what concerns the cache: verify(), a user's sessions, a parked read. */
const cacheRoutes: RequestHandler = async (ctx: RequestContext) => {
  const s = ctx.session;
  switch (ctx.url.pathname) {
    case "/verify": {
      const verified = await s.verify();
      return Response.json({ verified, data: s.data, isFresh: s.isFresh, userId: s.userId ?? null });
    }
    case "/bind":
      s.bindUser(ctx.url.searchParams.get("user") ?? "ada");
      return Response.json({ ok: true });
    case "/whoami":
      return Response.json({ userId: s.userId ?? null, data: s.data });
    case "/sessions":
      return Response.json((await s.listSessions()).length);
    case "/revoke-others":
      await s.revokeOtherSessions();
      return Response.json({ ok: true });
    case "/parked-read": {
      const seen = structuredClone(s.data);
      await gate?.enter();
      return Response.json({ data: seen });
    }
    case "/parked-push": {
      await gate?.enter();
      (s.data.items ??= []).push(ctx.url.searchParams.get("item") ?? "x");
      return Response.json(s.data);
    }
    default:
      return sessionRoutes(ctx);
  }
};

const encryptionKey = await EncryptedCookieStore.generateKey();

async function start(store: SessionStore, options: Partial<SessionOptions> = {}) {
  const served = await serve(compose(cookie(), session({ store, cache: { maxAge: 60, keys: [encryptionKey] }, ...options }), cacheRoutes));
  running.push(served);
  return served;
}

const json = (response: ClientResponse) => JSON.parse(response.body) as Record<string, unknown>;
const setCookieNamed = (response: ClientResponse, name: string) => response.setCookies.map(parseSetCookie).find((parsed) => parsed.name === name);

/** Store reads made while `action` runs, by the backend's own count. */
async function readsDuring(kit: StoreKit, action: () => Promise<unknown>): Promise<number> {
  const before = await kit.reads!();
  await action();
  return (await kit.reads!()) - before;
}

/** Follows a 307 to itself as a browser does, with the cookies it set. */
async function getFollowing(client: CookieClient, path: string): Promise<{ first: ClientResponse; last: ClientResponse }> {
  const first = await client.get(path);
  let last = first;
  for (let hops = 0; last.status === 307 && hops < 5; hops++) last = await client.get(last.headers.get("location")!);
  return { first, last };
}

describe.each(serverStores)("the session cache with $name", (kit) => {
  it("answers GET requests from the copy: one store read in ten within maxAge, and none after a write", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    expect(client.jar.has("session.cache")).toBe(true);
    // Right after the write that made the copy: no read at all.
    expect(
      await readsDuring(kit, async () => {
        for (let i = 0; i < 10; i++) expect(json(await client.get("/read")).data).toEqual({ count: 1 });
      }),
    ).toBe(0);
    // Without a copy: the first request reads the store and leaves one, the nine next read nothing.
    client.jar.delete("session.cache");
    expect(
      await readsDuring(kit, async () => {
        for (let i = 0; i < 10; i++) expect(json(await client.get("/read")).data).toEqual({ count: 1 });
      }),
    ).toBe(1);
    expect(client.jar.has("session.cache-read")).toBe(true);
  });

  it("reads the store for every request that is not GET or HEAD, copy or not", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    expect(await readsDuring(kit, () => client.post("/read"))).toBe(1);
    expect(await readsDuring(kit, () => client.request("/read", { method: "HEAD" }))).toBe(0);
  });

  it("ignores a copy made for another session or another user: the store is read", async () => {
    const served = await start(await kit.make());
    const ada = new CookieClient(served.url);
    const bob = new CookieClient(served.url);
    const visitor = new CookieClient(served.url);
    await ada.get("/bind?user=ada");
    await ada.get("/push?item=ada's");
    await bob.get("/bind?user=bob");
    await visitor.get("/push?item=visitor's");
    // Bob's browser with Ada's copy, then with an anonymous visitor's: each is bound to the session it was made for.
    for (const foreign of [ada.jar.get("session.cache")!, visitor.jar.get("session.cache")!]) {
      bob.jar.set("session.cache", foreign);
      bob.jar.delete("session.cache-read");
      let answer: Record<string, unknown> = {};
      expect(await readsDuring(kit, async () => (answer = json(await bob.get("/whoami"))))).toBe(1);
      expect(answer).toEqual({ userId: "bob", data: {} });
    }
    // The same copy under the name of another session() middleware's cookie is refused too.
    const other = await start(await kit.make(), { cookieName: "other" });
    const moved = new CookieClient(other.url);
    moved.jar.set("other", ada.jar.get("session")!);
    moved.jar.set("other.cache", ada.jar.get("session.cache")!);
    expect(json(await moved.get("/whoami"))).toEqual({ userId: null, data: {} });
  });

  it("ignores a malformed or tampered copy: the store is read, never an error", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    const copy = client.jar.get("session.cache")!;
    const middle = Math.floor(copy.length / 2);
    const tampered = copy.slice(0, middle) + (copy[middle] === "A" ? "B" : "A") + copy.slice(middle + 1);
    for (const bad of [tampered, copy.slice(0, -4), `${copy}AAAA`, "x", "%ZZ", copy.slice(0, 8)]) {
      client.jar.set("session.cache", bad);
      let answer: ClientResponse | undefined;
      expect(await readsDuring(kit, async () => (answer = await client.get("/read")))).toBe(1);
      expect(answer!.status).toBe(200);
      expect(json(answer!).data).toEqual({ count: 1 });
      client.jar.delete("session.cache-read");
    }
  });

  it("reads copies made with an older key while it is listed, and ignores them once it is removed", async () => {
    const store = await kit.make();
    const [oldKey, newKey] = [await EncryptedCookieStore.generateKey(), await EncryptedCookieStore.generateKey()];
    const before = await start(store, { cache: { maxAge: 60, keys: [oldKey] } });
    const client = new CookieClient(before.url);
    await client.get("/increment");
    const copy = client.jar.get("session.cache")!;
    // Rotation: the new key first, the old one still listed.
    const rotating = await start(store, { cache: { maxAge: 60, keys: [newKey, oldKey] } });
    const rotatingClient = new CookieClient(rotating.url);
    rotatingClient.jar.set("session", client.jar.get("session")!);
    rotatingClient.jar.set("session.cache", copy);
    expect(await readsDuring(kit, () => rotatingClient.get("/read"))).toBe(0);
    // The old key removed: its copy is ignored, the store read, and a copy under the new key made.
    const rotated = await start(store, { cache: { maxAge: 60, keys: [newKey] } });
    const rotatedClient = new CookieClient(rotated.url);
    rotatedClient.jar.set("session", client.jar.get("session")!);
    rotatedClient.jar.set("session.cache", copy);
    let answer: Record<string, unknown> = {};
    expect(await readsDuring(kit, async () => (answer = json(await rotatedClient.get("/read"))))).toBe(1);
    expect(answer.data).toEqual({ count: 1 });
    expect(await readsDuring(kit, () => rotatedClient.get("/read"))).toBe(0);
  });

  it("ignores a copy older than maxAge, even when the browser still sends it", async () => {
    const served = await start(await kit.make(), { cache: { maxAge: 0.4, keys: [encryptionKey] } });
    const client = new CookieClient(served.url);
    await client.get("/increment");
    const copy = client.jar.get("session.cache")!;
    expect(await readsDuring(kit, () => client.get("/read"))).toBe(0);
    await pause(500);
    client.jar.set("session.cache", copy);
    expect(await readsDuring(kit, () => client.get("/read"))).toBe(1);
  });

  it("keeps a read's copy that arrived after a write from answering in place of the write's", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    client.jar.delete("session.cache");
    // Tab 1 reads the store (no copy) and is parked before it answers; tab 2 writes meanwhile.
    gate = new Gate();
    const late = client.get("/parked-read");
    await gate.entered;
    await client.get("/increment");
    gate.release();
    expect(json(await late).data).toEqual({ count: 1 });
    // The jar now holds the late read's older copy beside the write's: the write's answers.
    expect(client.jar.has("session.cache-read")).toBe(true);
    let answer: Record<string, unknown> = {};
    expect(await readsDuring(kit, async () => (answer = json(await client.get("/read"))))).toBe(0);
    expect(answer.data).toEqual({ count: 2 });
  });

  it("runs a GET that changed a session from a copy behind the store again, so that neither change is lost", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/push?item=first");
    // Tab 1 loads the session from its copy and is parked; tab 2 posts a change, which reads and writes the store.
    gate = new Gate();
    const tab1 = getFollowing(client, "/parked-push?item=from-tab-1");
    await gate.entered;
    const tab2 = await client.post("/push?item=from-tab-2");
    expect(json(tab2).items).toEqual(["first", "from-tab-2"]);
    gate.release();
    gate = undefined;
    const { first, last } = await tab1;
    expect(first.status).toBe(307);
    expect(first.headers.get("location")).toBe("/parked-push?item=from-tab-1");
    expect(json(last).items).toEqual(["first", "from-tab-2", "from-tab-1"]);
    expect(json(await client.post("/read")).data).toEqual({ items: ["first", "from-tab-2", "from-tab-1"] });
  });

  it("refreshes what the store holds, not a copy behind it, when only a rolling refresh is due", async () => {
    const served = await start(await kit.make(), { rolling: { refreshInterval: 0.2 } });
    const client = new CookieClient(served.url);
    await client.get("/increment");
    const olderCopy = client.jar.get("session.cache")!;
    await client.get("/increment");
    await pause(300);
    // A copy from before the second write comes back (a late answer): the refresh it triggers reads the store.
    client.jar.set("session.cache", olderCopy);
    const refreshed = await client.get("/read");
    expect(json(refreshed).data).toEqual({ count: 1 });
    expect(setCookieNamed(refreshed, "session.cache")).toBeDefined();
    expect(json(await client.post("/read")).data).toEqual({ count: 2 });
    expect(json(await client.get("/read")).data).toEqual({ count: 2 });
  });

  it("clears the copies on logout, and sends none for the ended session", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/login?user=ada");
    client.jar.set("session.cache-read", client.jar.get("session.cache")!);
    const logout = await client.get("/logout");
    expect(setCookieNamed(logout, "session.cache")?.attributes.get("max-age")).toBe("0");
    expect(setCookieNamed(logout, "session.cache-read")?.attributes.get("max-age")).toBe("0");
    expect([...client.jar.keys()]).toEqual([]);
    expect(json(await client.get("/read"))).toEqual({ data: {}, isFresh: true });
  });

  it("clears the copy on regenerate: the new session's copy is bound to its new ID, and the old copy answers for no session", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    client.jar.set("session.cache-read", client.jar.get("session.cache")!);
    const before = client.jar.get("session.cache")!;
    const login = await client.get("/login?user=ada");
    expect(setCookieNamed(login, "session.cache-read")?.attributes.get("max-age")).toBe("0");
    expect(client.jar.get("session.cache")).not.toBe(before);
    expect(await readsDuring(kit, () => client.get("/read"))).toBe(0);
    client.jar.set("session.cache", before);
    let answer: Record<string, unknown> = {};
    expect(await readsDuring(kit, async () => (answer = json(await client.get("/read"))))).toBe(1);
    expect(answer.data).toEqual({ count: 1, user: "ada" });
  });

  it("lets a revocation from another device reach a cached browser within maxAge, and verify() at once", async () => {
    const served = await start(await kit.make(), { cache: { maxAge: 1.5, keys: [encryptionKey] } });
    const laptop = new CookieClient(served.url);
    const phone = new CookieClient(served.url);
    await laptop.get("/bind?user=ada");
    await phone.get("/bind?user=ada");
    expect(json(await phone.get("/sessions"))).toBe(2);
    laptop.jar.delete("session.cache");
    await laptop.get("/whoami");
    const copiedAt = Date.now();
    await phone.get("/revoke-others");
    // Within maxAge of its copy, the laptop may still read the session...
    expect(json(await laptop.get("/whoami")).userId).toBe("ada");
    // ...but verify() reads the store, answers false and carries on as a fresh session, and the copy goes.
    const secondTab = new CookieClient(served.url);
    for (const [name, value] of laptop.jar) secondTab.jar.set(name, value);
    let verified: Record<string, unknown> = {};
    expect(await readsDuring(kit, async () => (verified = json(await laptop.get("/verify"))))).toBe(1);
    expect(verified).toEqual({ verified: false, data: {}, isFresh: true, userId: null });
    expect(laptop.jar.has("session.cache-read")).toBe(false);
    // A copy kept elsewhere (another tab's jar) answers until maxAge has passed, then never.
    await pause(copiedAt + 1_600 - Date.now());
    expect(json(await secondTab.get("/whoami"))).toEqual({ userId: null, data: {} });
    expect(json(await phone.get("/whoami")).userId).toBe("ada");
  });

  it("lets no copy of a revoked session list or revoke the user's other sessions", async () => {
    const served = await start(await kit.make());
    const revoked = new CookieClient(served.url);
    const owner = new CookieClient(served.url);
    await revoked.get("/bind?user=ada");
    await owner.get("/bind?user=ada");
    await owner.get("/revoke-others");
    const otherTab = new CookieClient(served.url);
    for (const [name, value] of revoked.jar) otherTab.jar.set(name, value);
    // The revoked browser's copy still answers reads within maxAge, but what touches the user's sessions asks the store.
    expect(json(await revoked.get("/whoami")).userId).toBe("ada");
    expect(json(await revoked.get("/sessions"))).toBe(0);
    await otherTab.get("/revoke-others");
    expect(json(await owner.get("/whoami")).userId).toBe("ada");
    expect(json(await owner.get("/sessions"))).toBe(1);
  });

  it("signs a revoked browser out once maxAge has passed, through revokeUserSessions outside any request", async () => {
    const store = await kit.make();
    const served = await start(store, { cache: { maxAge: 1.5, keys: [encryptionKey] } });
    const client = new CookieClient(served.url);
    await client.get("/bind?user=grace");
    client.jar.delete("session.cache");
    await client.get("/whoami");
    const copiedAt = Date.now();
    await (store as unknown as UserSessionIndex).revokeUserSessions("grace");
    expect(json(await client.get("/whoami")).userId).toBe("grace");
    await pause(copiedAt + 1_600 - Date.now());
    const after = await client.get("/whoami");
    expect(json(after)).toEqual({ userId: null, data: {} });
    expect(setCookieNamed(after, "session.cache-read")?.attributes.get("max-age")).toBe("0");
  });

  it("verify() reads the store and answers true for a live session, false with no session, and re-reads nothing after a store read", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    let answer: Record<string, unknown> = {};
    expect(await readsDuring(kit, async () => (answer = json(await client.get("/verify"))))).toBe(0);
    expect(answer).toEqual({ verified: false, data: {}, isFresh: true, userId: null });
    await client.get("/bind?user=ada");
    await client.get("/increment");
    expect(await readsDuring(kit, async () => (answer = json(await client.get("/verify"))))).toBe(1);
    expect(answer).toEqual({ verified: true, data: { count: 1 }, isFresh: false, userId: "ada" });
    expect(await readsDuring(kit, async () => (answer = json(await client.post("/verify"))))).toBe(1);
    expect(answer.verified).toBe(true);
  });

  it("verify() gives the handler what the store holds when the copy was behind it", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    const olderCopy = client.jar.get("session.cache")!;
    await client.get("/increment");
    client.jar.set("session.cache", olderCopy);
    expect(json(await client.get("/read")).data).toEqual({ count: 1 });
    const verified = await client.get("/verify");
    expect(json(verified)).toEqual({ verified: true, data: { count: 2 }, isFresh: false, userId: null });
    // The copy it leaves is the store's.
    expect(json(await client.get("/read")).data).toEqual({ count: 2 });
  });

  it("does not cache a session too large for one cookie, without an error, and expires the copy it outgrew", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/increment");
    expect(client.jar.has("session.cache")).toBe(true);
    const grown = await client.get("/blob?size=5000");
    expect(grown.status).toBe(200);
    expect(setCookieNamed(grown, "session.cache")?.attributes.get("max-age")).toBe("0");
    expect(client.jar.has("session.cache")).toBe(false);
    expect(
      await readsDuring(kit, async () => {
        for (let i = 0; i < 3; i++) {
          const read = await client.get("/read");
          expect(read.status).toBe(200);
          expect((json(read).data as { blob: string }).blob).toHaveLength(5000);
          expect(read.setCookies).toEqual([]);
        }
      }),
    ).toBe(3);
  });

  it("never carries the data, the user or the metadata in clear by default", async () => {
    const served = await start(await kit.make());
    const client = new CookieClient(served.url);
    await client.get("/bind?user=ada-lovelace");
    await client.get("/push?item=secret-marker");
    await client.get("/flash?value=flash-marker");
    const copy = client.jar.get("session.cache")!;
    expect(copy).toMatch(/^[A-Za-z0-9_-]+$/);
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(copy.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)));
    for (const marker of ["secret-marker", "ada-lovelace", "flash-marker", "count", client.jar.get("session")!]) {
      expect(copy).not.toContain(marker);
      expect(decoded).not.toContain(marker);
    }
    expect(json(await client.get("/read")).data).toEqual({ items: ["secret-marker"] });
  });
});

describe("the session cache, signed only", () => {
  const memory = serverStores.find((kit) => kit.name === "UnsafeMemoryStore")!;

  it('lets the browser read its copy, as protection: "signed" says, and still refuses a changed one', async () => {
    const signingKey = await SignedCookieStore.generateKey();
    const served = await start(await memory.make(), { cache: { maxAge: 60, keys: [signingKey], protection: "signed" } });
    const client = new CookieClient(served.url);
    await client.get("/push?item=visible-marker");
    const [keyId, payload, signature] = client.jar.get("session.cache")!.split(".");
    const text = new TextDecoder().decode(Uint8Array.from(atob(payload!.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)));
    expect(text).toContain("visible-marker");
    const forged = btoa(text.replace("visible-marker", "forged-marker")).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    client.jar.set("session.cache", `${keyId}.${forged}.${signature}`);
    let answer: Record<string, unknown> = {};
    expect(await readsDuring(memory, async () => (answer = json(await client.get("/read"))))).toBe(1);
    expect(answer.data).toEqual({ items: ["visible-marker"] });
  });
});

describe("the session cache's format", () => {
  const memory = serverStores.find((kit) => kit.name === "UnsafeMemoryStore")!;
  const bytesOf = (text: string) => new TextEncoder().encode(text);
  const base64UrlBytes = (text: string) => Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  /** The documented purpose: ASCII("hattip-session/v2/" + kind) ‖ 0x00 ‖ uint32be(name) ‖ name ‖ uint32be(id) ‖ id. */
  function purpose(kind: string, name: string, id: string): Uint8Array<ArrayBuffer> {
    const parts = [bytesOf(`hattip-session/v2/${kind}`), new Uint8Array([0])];
    for (const text of [name, id]) {
      const bytes = bytesOf(text);
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, bytes.length);
      parts.push(length, bytes);
    }
    const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) joined.set(part, (at += part.length) - part.length);
    return joined;
  }

  it("is AES-256-GCM of the time it was made and the store's record text, the cookie name and session ID as additional data", async () => {
    const served = await start(await memory.make());
    const client = new CookieClient(served.url);
    const before = Date.now();
    await client.get("/push?item=tea");
    const sealed = base64UrlBytes(client.jar.get("session.cache")!);
    const aad = purpose("cache-encrypted", "session", client.jar.get("session")!);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.slice(6, 18), additionalData: aad }, encryptionKey, sealed.slice(18));
    const text = new TextDecoder().decode(plain);
    const cachedAt = text.slice(0, text.indexOf("|"));
    const [version, createdAt, expiresAt, metaLength, rest] = text.slice(cachedAt.length + 1).split(".");
    expect(Number(cachedAt)).toBeGreaterThanOrEqual(before);
    expect([version, metaLength, rest]).toEqual(["3", "0", '{"items":["tea"]}']);
    expect(Number.parseInt(expiresAt!, 36) - Number.parseInt(createdAt!, 36)).toBe(7 * 24 * 3600 * 1000);
    // Bound to the session ID: the same bytes under another ID do not open.
    const otherAad = purpose("cache-encrypted", "session", "another-session-id");
    await expect(
      crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.slice(6, 18), additionalData: otherAad }, encryptionKey, sealed.slice(18)),
    ).rejects.toThrow();
  });

  it("is signed with HMAC-SHA-256 over the purpose, the key ID and the payload when protection is signed", async () => {
    const signingKey = await SignedCookieStore.generateKey();
    const served = await start(await memory.make(), { cache: { maxAge: 60, keys: [signingKey], protection: "signed" } });
    const client = new CookieClient(served.url);
    await client.get("/push?item=tea");
    const [keyId, payload, signature] = client.jar.get("session.cache")!.split(".");
    const signedPart = bytesOf(`${keyId}.${payload}`);
    const aad = purpose("cache-signed", "session", client.jar.get("session")!);
    const message = new Uint8Array(aad.length + signedPart.length);
    message.set(aad);
    message.set(signedPart, aad.length);
    expect(await crypto.subtle.verify("HMAC", signingKey, base64UrlBytes(signature!), message)).toBe(true);
  });
});

describe("the session cache with events", () => {
  const memory = serverStores.find((kit) => kit.name === "UnsafeMemoryStore")!;

  it("reports a logout answered from a copy as the destroy of the signed-in session it was", async () => {
    const heard: { type: string; userId?: string | undefined }[] = [];
    const served = await start(await memory.make(), {
      events: { destroyed: (event) => void heard.push({ type: event.type, userId: event.userId }) },
    });
    const client = new CookieClient(served.url);
    await client.get("/bind?user=ada");
    let logout: ClientResponse | undefined;
    expect(await readsDuring(memory, async () => (logout = await client.get("/logout")))).toBe(0);
    expect(setCookieNamed(logout!, "session.cache")?.attributes.get("max-age")).toBe("0");
    expect(heard).toEqual([{ type: "destroyed", userId: "ada" }]);
  });
});

describe("the session cache's setup", () => {
  it.each(cookieStores)("is refused with a $name: there is nothing to cache", async (kit) => {
    const store = await kit.make();
    expect(() => session({ store, cache: { maxAge: 60, keys: [encryptionKey] } })).toThrow(
      expect.objectContaining({ code: "ERR_SESSION_SETUP", message: expect.stringContaining("nothing to cache") }),
    );
  });

  it("refuses a maxAge that is not a positive number of seconds, keys of the wrong kind, and a custom transport", async () => {
    const store = await serverStores[0]!.make();
    for (const maxAge of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "60"]) {
      expect(() => session({ store, cache: { maxAge: maxAge as number, keys: [encryptionKey] } })).toThrow(
        expect.objectContaining({ code: "ERR_SESSION_SETUP", message: expect.stringContaining("cache.maxAge") }),
      );
    }
    const signingKey = await SignedCookieStore.generateKey();
    expect(() => session({ store, cache: { maxAge: 60, keys: [signingKey] } })).toThrow(
      expect.objectContaining({ code: "ERR_SESSION_KEY", message: expect.stringContaining('protection to "signed"') }),
    );
    expect(() => session({ store, cache: { maxAge: 60, keys: [encryptionKey], protection: "signed" } })).toThrow(
      expect.objectContaining({ code: "ERR_SESSION_KEY" }),
    );
    expect(() => session({ store, cache: { maxAge: 60, keys: [] as unknown as [CryptoKey] } })).toThrow(
      expect.objectContaining({ code: "ERR_SESSION_KEY", message: expect.stringContaining("session() cache.keys") }),
    );
    expect(() => session({ store, cache: { maxAge: 60, keys: [encryptionKey] }, getSessionId: () => undefined })).toThrow(
      expect.objectContaining({ code: "ERR_SESSION_SETUP", message: expect.stringContaining("getSessionId") }),
    );
  });
});
