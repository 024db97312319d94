/**
 * DurableObjectSessionStore in the real Workers runtime: a Hattip app on
 * @hattip/adapter-cloudflare-workers, bundled with esbuild from
 * test/durable-object/worker.ts (which imports the built package), served
 * by workerd through Miniflare, with SESSIONS bound to a real SQLite-backed
 * Durable Object class, over real HTTP.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DurableObjectSessionStore, MAX_LISTED_USER_SESSIONS, type DurableObjectNamespaceLike } from "../src/index.js";
import { hashSessionId, splitSessionId } from "../src/stores/session-id.js";
import { userTag } from "./support/user-tags.js";
import { CookieClient } from "./support/browser-like-client.js";
import { describeStoreContract } from "./support/store-contract.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
let mf: Miniflare;
let baseUrl: string;

beforeAll(async () => {
  if (!existsSync(join(here, "../dist/index.js"))) {
    throw new Error("The Durable Object worker imports the built package: run `npm run build` at the repository root first.");
  }
  dir = await mkdtemp(join(tmpdir(), "hattip-session-do-"));
  const scriptPath = join(dir, "worker.js");
  await build({
    entryPoints: [join(here, "durable-object/worker.ts")],
    outfile: scriptPath,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "silent",
  });
  mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: dir,
    durableObjects: {
      SESSIONS: { className: "InspectableSessionObject", useSQLite: true },
      KV_BACKED: { className: "SessionDurableObject" },
    },
    compatibilityDate: "2025-06-01",
    host: "127.0.0.1",
    port: 0,
  });
  baseUrl = (await mf.ready).origin;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const browser = () => new CookieClient(baseUrl);
const json = async (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

/** The object a session ID lives in, named as the store names it. */
async function objectOf(id: string): Promise<string> {
  const { tag } = splitSessionId(id);
  return tag === undefined ? `session:${await hashSessionId(id)}` : `user:${tag}`;
}

async function inspect(object: string): Promise<{ table: boolean; rows: number; alarm: number | null }> {
  return (await fetch(`${baseUrl}/test/inspect?object=${encodeURIComponent(object)}`)).json() as never;
}

async function callsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
  await fetch(`${baseUrl}/do-calls`);
  await action();
  return (await (await fetch(`${baseUrl}/do-calls`)).json()) as Record<string, number>;
}

// The shared contract, with the store in Node and every call going to the real object in workerd through Miniflare's binding proxy.
describeStoreContract(
  { name: "DurableObjectSessionStore (objects through Miniflare's proxy)", revocable: true, indexesUsers: true, tagsUsers: true },
  async () => {
    const namespace = (await mf.getDurableObjectNamespace("SESSIONS")) as unknown as DurableObjectNamespaceLike;
    const make = (secret: string | undefined) =>
      new DurableObjectSessionStore<Record<string, unknown>>({ userTagSecret: secret, getNamespace: () => namespace });
    return { store: make(userTagSecret), withUserTagSecret: make };
  },
);

describe("DurableObjectSessionStore in workerd", () => {
  it(`gets only the ${MAX_LISTED_USER_SESSIONS} sessions with the latest deadlines from the user's object, and revokes every one`, async () => {
    const namespace = (await mf.getDurableObjectNamespace("SESSIONS")) as unknown as DurableObjectNamespaceLike;
    const answered: number[] = [];
    // The real binding, with the size of each list the object answers noted.
    const noting: DurableObjectNamespaceLike = {
      idFromName: (name) => namespace.idFromName(name),
      get: (id) => ({
        async fetch(url, init) {
          const response = await namespace.get(id).fetch(url, init);
          const body = await response.text();
          if (JSON.parse(init.body).op === "list") answered.push((JSON.parse(body) as { sessions: unknown[] }).sessions.length);
          return { ok: response.ok, status: response.status, text: async () => body };
        },
      }),
    };
    const store = new DurableObjectSessionStore({ userTagSecret, getNamespace: () => noting });
    const user = `user-${crypto.randomUUID()}`;
    const now = Date.now();
    for (let i = 0; i < MAX_LISTED_USER_SESSIONS + 30; i++) {
      await store.createRecord({ data: {}, createdAt: now, expiresAt: now + 60_000 + i, meta: { user, agent: `device ${i}` } });
    }
    const listed = await store.listUserSessions(user);
    expect(answered).toEqual([MAX_LISTED_USER_SESSIONS]);
    expect(listed.map((session) => session.device)).not.toContain("device 29");
    expect(listed.map((session) => session.device)).toContain("device 30");
    await store.revokeUserSessions(user);
    expect(await inspect(`user:${await userTag(user)}`)).toMatchObject({ rows: 0 });
  });

  it("honours the store contract, checked inside the worker", async () => {
    const results = (await (await fetch(`${baseUrl}/contract`)).json()) as { name: string; ok: boolean; error?: string }[];
    expect(results.length).toBeGreaterThanOrEqual(19);
    expect(results.filter((result) => !result.ok)).toEqual([]);
  });

  it("costs one object call for a read-only request and one for each write; a login moves the session in two calls sent together", async () => {
    const tab = browser();
    expect(await callsDuring(() => tab.get("/read"))).toEqual({});
    expect(await callsDuring(() => tab.get("/increment"))).toEqual({ create: 1 });
    expect(await callsDuring(() => tab.get("/read"))).toEqual({ load: 1 });
    expect(await callsDuring(() => tab.get("/increment"))).toEqual({ load: 1, update: 1 });
    expect(await callsDuring(() => tab.get("/login?user=ada"))).toEqual({ load: 1, destroy: 1, create: 1 });
    expect(await callsDuring(() => tab.get("/login?user=ada"))).toEqual({ load: 1, rotate: 1 });
    expect(await callsDuring(() => tab.get("/logout"))).toEqual({ load: 1, destroy: 1 });
  });

  it("keeps an anonymous session in an object of its own and every session of a user in that user's object", async () => {
    const anonymous = browser();
    await anonymous.get("/increment");
    const anonymousId = anonymous.jar.get("session")!;
    expect(splitSessionId(anonymousId).tag).toBeUndefined();
    expect(await inspect(await objectOf(anonymousId))).toMatchObject({ table: true, rows: 1 });

    const user = `user-${crypto.randomUUID()}`;
    const laptop = browser();
    const phone = browser();
    await laptop.get(`/login?user=${user}`);
    await phone.get(`/login?user=${user}`);
    const tag = await userTag(user);
    expect(splitSessionId(laptop.jar.get("session")!).tag).toBe(tag);
    expect(splitSessionId(phone.jar.get("session")!).tag).toBe(tag);
    expect(await inspect(`user:${tag}`)).toMatchObject({ table: true, rows: 2 });
  });

  it("signs a user out everywhere at once: revoke-others ends every other device's session on its next request", async () => {
    const user = `user-${crypto.randomUUID()}`;
    const [laptop, phone, tablet] = [browser(), browser(), browser()];
    for (const device of [laptop, phone, tablet]) await device.get(`/login?user=${user}`);
    expect(((await json(await laptop.get("/sessions"))) as unknown as unknown[]).length).toBe(3);

    await laptop.get("/revoke-others");
    expect(await json(await phone.get("/read"))).toMatchObject({ isFresh: true, userId: null });
    expect(await json(await tablet.get("/read"))).toMatchObject({ isFresh: true, userId: null });
    expect(await json(await laptop.get("/read"))).toMatchObject({ isFresh: false, userId: user });
    const listed = (await json(await laptop.get("/sessions"))) as unknown as { current: boolean }[];
    expect(listed.map((entry) => entry.current)).toEqual([true]);
  });

  it("deletes expired sessions by its alarm, and an object left empty frees its storage", async () => {
    const tab = browser();
    await tab.get("/short/increment");
    const object = await objectOf(tab.jar.get("short")!);
    const before = await inspect(object);
    expect(before).toMatchObject({ table: true, rows: 1 });
    expect(before.alarm).toBeGreaterThan(Date.now());
    expect(before.alarm).toBeLessThanOrEqual(Date.now() + 1_100);

    await new Promise((resolve) => setTimeout(resolve, 1_600));
    // Nothing read the session meanwhile: the alarm alone cleared it.
    expect(await inspect(object)).toEqual({ table: false, rows: 0, alarm: null });
  });

  it("allocates no storage for an ID it never issued, even one carrying a user's tag", async () => {
    const user = `user-${crypto.randomUUID()}`;
    const forged = `${"A".repeat(43)}.${await userTag(user)}`;
    for (const id of ["B".repeat(43), forged]) {
      const tab = browser();
      tab.jar.set("session", id);
      expect(await json(await tab.get("/read"))).toMatchObject({ isFresh: true });
      expect(await inspect(await objectOf(id))).toEqual({ table: false, rows: 0, alarm: null });
    }
  });

  it("answers 503 within the timeout while the session's object is held busy, and serves it again once it is free", async () => {
    const tab = browser();
    await tab.get("/increment");
    const object = await objectOf(tab.jar.get("session")!);
    await fetch(`${baseUrl}/test/hold?object=${encodeURIComponent(object)}&ms=2500`);

    const started = performance.now();
    const response = await tab.get("/read");
    expect(response.status).toBe(503);
    expect(response.body).toMatch(/did not answer within 1000 ms/);
    expect(performance.now() - started).toBeLessThan(1_000 + 750);

    for (let attempt = 0; attempt < 50 && (await tab.get("/read")).status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await json(await tab.get("/read"))).toMatchObject({ data: { count: 1 }, isFresh: false });
  });

  /** Starts `path` on `tab`, parked once its session is loaded; resolves when it is parked. */
  async function parked(tab: CookieClient, path: string) {
    const name = crypto.randomUUID();
    const response = tab.get(`${path}${path.includes("?") ? "&" : "?"}gate=${name}`);
    for (let attempt = 0; attempt < 250; attempt++) {
      if (((await (await fetch(`${baseUrl}/gate-waiting?name=${name}`)).json()) as { waiting: boolean }).waiting) {
        return { response, release: () => fetch(`${baseUrl}/gate-release?name=${name}`) };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${path} never reached its gate`);
  }

  /** Reads until the object answers again, then what it holds. */
  async function readOnceFree(tab: CookieClient) {
    for (let attempt = 0; attempt < 50 && (await tab.get("/read")).status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return json(await tab.get("/read"));
  }

  it("refuses a write its busy object gets to after the deadline: the session keeps what it had, and the error says so", async () => {
    const tab = browser();
    await tab.get("/increment");
    // The request's context outlives its answer (as with an app's waitUntil work), so the late call is not cancelled with it.
    const write = await parked(tab, "/increment?linger=3000");
    await fetch(`${baseUrl}/test/hold?object=${encodeURIComponent(await objectOf(tab.jar.get("session")!))}&ms=2000`);
    await write.release();
    const failed = await write.response;
    expect(failed.status).toBe(503);
    expect(await readOnceFree(tab)).toMatchObject({ data: { count: 1 }, isFresh: false });
    expect(failed.body).toMatch(/did not answer within 1000 ms: this session write was not saved, unless the object began it before that deadline/);
  });

  it("refuses a re-login's rotation its busy object gets to after the deadline: the user stays signed in", async () => {
    const tab = browser();
    await tab.get("/login?user=ada");
    const signedIn = tab.jar.get("session")!;
    const login = await parked(tab, "/login?user=ada&linger=3000");
    await fetch(`${baseUrl}/test/hold?object=${encodeURIComponent(await objectOf(signedIn))}&ms=2000`);
    await login.release();
    expect((await login.response).status).toBe(503);
    expect(tab.jar.get("session")).toBe(signedIn);
    expect(await readOnceFree(tab)).toMatchObject({ data: { user: "ada" }, isFresh: false, userId: "ada" });
  });

  it("a login whose anonymous session's object is busy past the deadline ends nothing and leaves no session behind", async () => {
    const tab = browser();
    await tab.get("/increment");
    const anonymous = tab.jar.get("session")!;
    const user = `user-${crypto.randomUUID()}`;
    const login = await parked(tab, `/login?user=${user}&linger=3000`);
    await fetch(`${baseUrl}/test/hold?object=${encodeURIComponent(await objectOf(anonymous))}&ms=2000`);
    await login.release();
    expect((await login.response).status).toBe(503);
    expect(tab.jar.get("session")).toBe(anonymous);
    expect(await readOnceFree(tab)).toMatchObject({ data: { count: 1 }, isFresh: false });
    const namespace = (await mf.getDurableObjectNamespace("SESSIONS")) as unknown as DurableObjectNamespaceLike;
    expect(await new DurableObjectSessionStore({ userTagSecret, getNamespace: () => namespace }).listUserSessions(user)).toEqual([]);
  });

  it("survives its object being aborted: the next call gets a fresh instance over the same storage", async () => {
    const tab = browser();
    await tab.get("/increment");
    await fetch(`${baseUrl}/test/abort?object=${encodeURIComponent(await objectOf(tab.jar.get("session")!))}`);
    expect(await json(await tab.get("/increment"))).toEqual({ count: 2 });
    expect(await json(await tab.get("/read"))).toMatchObject({ data: { count: 2 }, isFresh: false });
  });

  it("refuses a call that is not the store's with a 400 that says why, and allocates nothing", async () => {
    const namespace = await mf.getDurableObjectNamespace("SESSIONS");
    const object = `session:${"C".repeat(43)}`;
    const stub = namespace.get(namespace.idFromName(object));
    const url = "https://hattip-session.durable-object/";
    const calls: [string, RequestInit][] = [
      [url, { method: "GET" }],
      ["https://elsewhere/", { method: "POST", body: JSON.stringify({ op: "load", id: "x" }) }],
      [url, { method: "POST", body: "not json" }],
      [url, { method: "POST", body: "null" }],
      [url, { method: "POST", body: JSON.stringify({ op: "drop-table" }) }],
      [url, { method: "POST", body: JSON.stringify({ op: "load", id: "'; DROP TABLE sessions; --" }) }],
      [url, { method: "POST", body: JSON.stringify({ op: "create", id: "abc", record: 1, expiresAt: Date.now() }) }],
      [url, { method: "POST", body: JSON.stringify({ op: "create", id: "abc", record: "2|", expiresAt: "soon" }) }],
      [url, { method: "POST", body: JSON.stringify({ op: "revoke", user: "u".repeat(65), handle: "h" }) }],
      [url, { method: "POST", body: "x".repeat(1_000_001) }],
    ];
    for (const [target, init] of calls) {
      const response = await stub.fetch(target, init as never);
      expect({ status: response.status, kind: ((await response.json()) as { kind: string }).kind }).toEqual({ status: 400, kind: "bad-call" });
    }
    expect(await inspect(object)).toEqual({ table: false, rows: 0, alarm: null });
  });

  it("names the fix when the class is bound without SQLite storage", async () => {
    const { status, body } = await browser().get("/kv-backed/increment");
    expect({ status, body }).toEqual({ status: 500, body: expect.stringMatching(/^setup: .*new_sqlite_classes/) });
  });
});
