/**
 * NetlifyBlobsSessionStore against Netlify's own local Blobs server
 * (`@netlify/blobs/server`) through the real `@netlify/blobs` client: the
 * store contract, the Blobs requests each HTTP request costs, what lies in
 * the store, the cleaning of expired sessions, races made certain by
 * parking one side between two Blobs calls, and the server going away and
 * coming back.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { getStore } from "@netlify/blobs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  NetlifyBlobsSessionStore,
  SessionSetupError,
  SessionStoreUnavailableError,
  session,
  type NetlifyBlobStoreLike,
  type SessionRecord,
} from "../src/index.js";
import { hashSessionId } from "../src/stores/session-id.js";
import { userTag } from "./support/user-tags.js";
import { sessionRoutes } from "./support/app.js";
import { startLocalBlobs, type LocalBlobs } from "./support/blobs-server.js";
import { CookieClient } from "./support/browser-like-client.js";
import { Gate } from "./support/gate.js";
import { serve } from "./support/serve.js";
import { describeStoreContract } from "./support/store-contract.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

const TIMEOUT_MS = 1000;
let blobs: LocalBlobs;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  blobs = await startLocalBlobs();
});
afterAll(() => blobs?.destroy());
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** A Blobs store of its own for each test: stores are namespaces on the one server. */
const freshStore = () => blobs.store(`sessions-${crypto.randomUUID()}`);

async function startApp(store: NetlifyBlobsSessionStore) {
  const served = await serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) =>
          error instanceof SessionStoreUnavailableError
            ? new Response("sessions are unavailable, try again shortly", { status: 503 })
            : new Response(`unexpected: ${String(error)}`, { status: 500 });
      },
      cookie(),
      session({ store }),
      sessionRoutes,
    ),
  );
  cleanups.push(() => served.close());
  return new CookieClient(served.url);
}

function requestsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = new Map(blobs.requests);
  return action().then(() => {
    const spent: Record<string, number> = {};
    for (const [type, count] of blobs.requests) if (count !== (before.get(type) ?? 0)) spent[type] = count - (before.get(type) ?? 0);
    return spent;
  });
}

const bound = (user: string, agent = "A"): SessionRecord<Record<string, unknown>> => {
  const now = Date.now();
  return { data: { user }, createdAt: now, expiresAt: now + 60_000, meta: { user, agent, seenAt: now } };
};

describeStoreContract({ name: "NetlifyBlobsSessionStore", revocable: true, indexesUsers: true, tagsUsers: true }, async () => {
  const store = freshStore();
  const make = (secret: string | undefined) =>
    new NetlifyBlobsSessionStore<Record<string, unknown>>({ userTagSecret: secret, getStore: () => store });
  return { store: make(userTagSecret), withUserTagSecret: make };
});

describe("NetlifyBlobsSessionStore over HTTP", () => {
  it("costs one read for a read-only request and one conditional write for a change; a login and a logout cost what a Blobs destroy needs", async () => {
    const store = freshStore();
    const browser = await startApp(new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store, timeout: TIMEOUT_MS }));
    expect(await requestsDuring(() => browser.get("/read"))).toEqual({});
    expect(await requestsDuring(() => browser.get("/increment"))).toEqual({ set: 1 });
    expect(await requestsDuring(() => browser.get("/read"))).toEqual({ get: 1 });
    // A change is written at the session's ETag. Netlify's read answers with it; this local server
    // (the one `netlify dev` runs) gives ETags only in listings, so here a metadata read and a listing find it.
    expect(await requestsDuring(() => browser.get("/increment"))).toEqual({ get: 1, getMetadata: 1, list: 1, set: 1 });
    // The new session, the old one's tombstone at its ETag, and the tombstone's removal.
    expect(await requestsDuring(() => browser.get("/login?user=ada"))).toEqual({ get: 1, getMetadata: 1, list: 1, set: 2, delete: 1 });
    // Blobs deletes unconditionally: a metadata read first tells whether a live session was there.
    expect(await requestsDuring(() => browser.get("/logout"))).toEqual({ get: 1, getMetadata: 1, delete: 1 });
    expect(await requestsDuring(() => browser.get("/read"))).toEqual({});
  });

  it("keeps each session under the SHA-256 of its ID, a bound one under its user's tag, never an ID or a user ID in a key", async () => {
    const store = freshStore();
    const sessions = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store });
    const browser = await startApp(sessions);
    await browser.get("/increment");
    const anonymous = browser.jar.get("session")!;
    const user = `user-${crypto.randomUUID()}`;
    const boundId = await sessions.createRecord(bound(user));

    const keys = (await store.list({ prefix: "" })).blobs.map((blob) => blob.key).sort();
    expect(keys).toEqual([`session/${await hashSessionId(anonymous)}`, `session/${await userTag(user)}/${await hashSessionId(boundId)}`].sort());
    expect(keys.some((key) => key.includes(anonymous) || key.includes(boundId) || key.includes(user))).toBe(false);
    const stored = await store.getWithMetadata(`session/${await hashSessionId(anonymous)}`);
    expect(stored?.data).toMatch(/^3\.[0-9a-z]+\.[0-9a-z]+\.0\.\{"count":1\}$/);
    expect(stored?.metadata).toEqual({ expiresAt: expect.any(Number) });
  });

  it("does not bring back a session destroyed while a slower request was using it", async () => {
    const store = freshStore();
    const gate = new Gate();
    const served = await serve(
      compose(cookie(), session({ store: new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store }) }), async (ctx) => {
        if (ctx.url.pathname === "/slow-increment") {
          await gate.enter();
          ctx.session.data.count = 99;
          return Response.json(ctx.session.data);
        }
        return sessionRoutes(ctx);
      }),
    );
    cleanups.push(() => served.close());
    const tab = new CookieClient(served.url);
    await tab.get("/increment");
    const other = new CookieClient(served.url);
    other.jar.set("session", tab.jar.get("session")!);

    const slow = tab.get("/slow-increment");
    await gate.entered;
    await other.get("/logout");
    gate.release();
    expect((await slow).status).toBe(200);
    expect(JSON.parse((await other.get("/read")).body)).toEqual({ data: {}, isFresh: true });
    expect((await store.list({ prefix: "" })).blobs).toEqual([]);
  });
});

describe("NetlifyBlobsSessionStore and expired sessions", () => {
  it("deletes an expired session when a read meets it", async () => {
    const store = freshStore();
    const sessions = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store });
    const id = await sessions.save(null, { count: 1 }, 200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await store.list({ prefix: "" })).blobs).toHaveLength(1);
    expect(await sessions.load(id)).toBeNull();
    expect((await store.list({ prefix: "" })).blobs).toEqual([]);
  });

  it("deleteExpired() deletes every expired session and leftover, and no live one", async () => {
    const store = freshStore();
    const sessions = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store });
    for (let i = 0; i < 4; i++) await sessions.save(null, { count: i }, 100);
    await sessions.createRecord({ ...bound(`user-${crypto.randomUUID()}`), expiresAt: Date.now() + 100 });
    await store.set("session/not-a-session", "junk", { metadata: {} });
    await store.set("elsewhere/kept", "not under the prefix");
    const live = await sessions.save(null, { count: 7 }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(await sessions.deleteExpired()).toBe(6);
    expect((await store.list({ prefix: "" })).blobs.map((blob) => blob.key).sort()).toEqual([
      "elsewhere/kept",
      `session/${await hashSessionId(live)}`,
    ]);
    expect(await sessions.load(live)).toEqual({ count: 7 });
  });
});

describe("NetlifyBlobsSessionStore's prefix", () => {
  it("must be a folder (end with '/'), so that deleteExpired() cannot reach the app's other blobs", async () => {
    const store = freshStore();
    for (const prefix of ["session", "sessions-of-the-app", ""]) {
      expect(() => new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store, prefix }), JSON.stringify(prefix)).toThrow(SessionSetupError);
    }
    // What a prefix of "session" would have listed, and deleted as "no session": a blob of the app's own.
    await store.set("sessions-archive/report", "the app's", { metadata: {} });
    const sessions = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store, prefix: "session/" });
    await sessions.save(null, { count: 1 }, 100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await sessions.deleteExpired()).toBe(1);
    expect((await store.list({ prefix: "" })).blobs.map((blob) => blob.key)).toEqual(["sessions-archive/report"]);
  });
});

/**
 * The real Blobs store with one call parked: the first `method` call whose
 * key matches waits at the gate, after the call was made or before it,
 * so the other side of a race runs in between.
 */
function parkedStore(
  store: NetlifyBlobStoreLike,
  method: keyof NetlifyBlobStoreLike,
  gate: Gate,
  when: "before" | "after",
  nth = 1,
): NetlifyBlobStoreLike {
  let calls = 0;
  const park = async <T>(call: () => Promise<T>): Promise<T> => {
    if (++calls !== nth) return call();
    if (when === "before") await gate.enter();
    const result = await call();
    if (when === "after") await gate.enter();
    return result;
  };
  return {
    getWithMetadata: (key, options) =>
      method === "getWithMetadata" ? park(() => store.getWithMetadata(key, options)) : store.getWithMetadata(key, options),
    getMetadata: (key, options) => (method === "getMetadata" ? park(() => store.getMetadata(key, options)) : store.getMetadata(key, options)),
    set: (key, value, options) => (method === "set" ? park(() => store.set(key, value, options)) : store.set(key, value, options)),
    delete: (key) => (method === "delete" ? park(() => store.delete(key)) : store.delete(key)),
    list: (options) => (method === "list" ? park(() => store.list(options)) : store.list(options)),
  };
}

describe("NetlifyBlobsSessionStore under races, one side parked between two Blobs calls", () => {
  it("a revoke-all that lands between a rotation's new write and its destroy makes the rotation refuse and undo itself", async () => {
    const store = freshStore();
    const plain = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store });
    const user = `user-${crypto.randomUUID()}`;
    const old = await plain.createRecord(bound(user));
    const gate = new Gate();
    // The rotation's first write is the new session: park right after it.
    const rotating = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => parkedStore(store, "set", gate, "after") });
    const rotation = rotating.rotateRecord(old, bound(user, "B"));
    await gate.entered;
    await plain.revokeUserSessions(user);
    gate.release();
    expect(await rotation).toBeNull();
    expect(await plain.listUserSessions(user)).toEqual([]);
    expect((await store.list({ prefix: "" })).blobs).toEqual([]);
  });

  it("a rotation that completes between a revoke-all's first list and its deletes is caught by the next list", async () => {
    const store = freshStore();
    const plain = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store });
    const user = `user-${crypto.randomUUID()}`;
    const old = await plain.createRecord(bound(user));
    const gate = new Gate();
    const revoking = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => parkedStore(store, "list", gate, "after") });
    const revokeAll = revoking.revokeUserSessions(user);
    await gate.entered;
    const rotated = await plain.rotateRecord(old, bound(user, "B"));
    expect(rotated).not.toBeNull();
    gate.release();
    await revokeAll;
    expect(await plain.load(rotated!)).toBeNull();
    expect(await plain.listUserSessions(user)).toEqual([]);
  });

  it("a logout between a regenerate's read and its destroy wins: the regenerate is refused", async () => {
    const store = freshStore();
    const plain = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store });
    const id = await plain.save(null, { count: 1 }, 60_000);
    const gate = new Gate();
    // Outside a request there is no loaded ETag: the destroy first reads the old session's metadata. Park after that read.
    const regenerating = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => parkedStore(store, "getMetadata", gate, "after") });
    const regenerate = regenerating.rotateRecord(id, bound("ada"));
    await gate.entered;
    expect(await plain.destroyRecord(id)).toBe(true);
    gate.release();
    expect(await regenerate).toBeNull();
    expect((await store.list({ prefix: "" })).blobs).toEqual([]);
  });
});

describe("NetlifyBlobsSessionStore when a write reaches Blobs after its timeout (held on its way there)", () => {
  const LATE_TIMEOUT_MS = 300;
  /** Resolves once Blobs has served `count` more writes than `before`: the held one has landed, or been refused. */
  async function writesServed(before: number, count: number) {
    for (let attempt = 0; attempt < 200 && (blobs.requests.get("set") ?? 0) < before + count; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(blobs.requests.get("set") ?? 0).toBe(before + count);
  }

  it("an update that lands late lands only over the version it read: never over a newer write, and its error says so", async () => {
    const store = freshStore();
    const plain = new NetlifyBlobsSessionStore<Record<string, unknown>>({ userTagSecret, getStore: () => store });
    const id = await plain.save(null, { count: 1 }, 60_000);
    const gate = new Gate();
    const late = new NetlifyBlobsSessionStore<Record<string, unknown>>({
      userTagSecret,
      getStore: () => parkedStore(store, "set", gate, "before"),
      timeout: LATE_TIMEOUT_MS,
    });
    const now = Date.now();
    const failure = await late.updateRecord(id, { data: { count: 2 }, createdAt: now, expiresAt: now + 60_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
    // Another instance writes newer data; then the held write reaches Blobs.
    await plain.save(id, { count: 3 }, 60_000);
    const setsBefore = blobs.requests.get("set") ?? 0;
    gate.release();
    await writesServed(setsBefore, 1);
    expect(await plain.load(id)).toEqual({ count: 3 });
    expect((failure as Error).message).toMatch(
      /did not answer within 300 ms: this session write may still be saved when Blobs gets to it, but only over the version this request read/,
    );
  });

  it("a login whose end of the old session times out takes back the new session, and says the old one may still end", async () => {
    const store = freshStore();
    const plain = new NetlifyBlobsSessionStore<Record<string, unknown>>({ userTagSecret, getStore: () => store });
    const user = `user-${crypto.randomUUID()}`;
    const old = await plain.createRecord(bound(user));
    const gate = new Gate();
    // The rotation's second write is the tombstone over the old session: hold that one.
    const rotating = new NetlifyBlobsSessionStore<Record<string, unknown>>({
      userTagSecret,
      getStore: () => parkedStore(store, "set", gate, "before", 2),
      timeout: LATE_TIMEOUT_MS,
    });
    const failure = await rotating.rotateRecord(old, bound(user, "B")).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
    // No session that no browser was given stays listed under the user.
    expect((await plain.listUserSessions(user)).map((session) => session.device)).toEqual(["A"]);
    expect((failure as Error).message).toMatch(/did not answer within 300 ms: the old session may still be ended when Blobs gets to it/);
    const setsBefore = blobs.requests.get("set") ?? 0;
    gate.release();
    await writesServed(setsBefore, 1);
    // As the error said: the held tombstone lands, and the old session ends.
    expect(await plain.load(old)).toBeNull();
  });
});

describe("NetlifyBlobsSessionStore when Blobs is unreachable", () => {
  it("answers 503 within the timeout while the server is stopped, and serves the same session once it is back", async () => {
    const store = freshStore();
    const browser = await startApp(new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store, timeout: TIMEOUT_MS }));
    await browser.get("/increment");

    await blobs.stop();
    try {
      for (const path of ["/read", "/increment", "/login", "/logout"]) {
        const started = performance.now();
        const response = await browser.get(path);
        expect(response.status, path).toBe(503);
        expect(response.setCookies).toEqual([]);
        expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 750);
      }
    } finally {
      await blobs.start();
    }
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1 }, isFresh: false });
    expect(JSON.parse((await browser.get("/increment")).body)).toEqual({ count: 2 });
  });

  it("answers 503 within the timeout when the server accepts connections but never answers", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const store = getStore({ name: "sessions", siteID: "site", token: "token", edgeURL: url, uncachedEdgeURL: url });
    const browser = await startApp(new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store, timeout: TIMEOUT_MS }));
    browser.jar.set("session", "A".repeat(43));
    const started = performance.now();
    const response = await browser.get("/read");
    expect(response.status).toBe(503);
    expect(response.body).toContain("unavailable");
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 750);
  });

  it("throws SessionStoreUnavailableError from the store itself, with the client's error as the cause", async () => {
    const store = freshStore();
    const sessions = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => store, timeout: TIMEOUT_MS });
    const id = await sessions.save(null, {}, 60_000);
    await blobs.stop();
    try {
      const failure = await sessions.load(id).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
      expect((failure as Error).message).toMatch(/Netlify Blobs session read .*retry later/);
      expect((failure as Error).cause).toBeDefined();
    } finally {
      await blobs.start();
    }
    expect(await sessions.load(id)).toEqual({});
  });

  it("a Blobs store that cannot read with strong consistency is a SessionSetupError that names the fix", async () => {
    const { url, token, siteID } = blobs.connection;
    const eventual = getStore({ name: "sessions", siteID, token, edgeURL: url });
    const sessions = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => eventual });
    await expect(sessions.load("A".repeat(43))).rejects.toThrow(SessionSetupError);
    await expect(sessions.load("A".repeat(43))).rejects.toThrow(/uncachedEdgeURL/);
  });
});
