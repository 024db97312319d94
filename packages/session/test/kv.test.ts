/**
 * KvSessionStore in the real Workers runtime: a Hattip app on
 * @hattip/adapter-cloudflare-workers, bundled with esbuild from
 * test/kv/worker.ts (which imports the built package), served by workerd
 * through Miniflare with a real (local) KV namespace, over real HTTP.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvSessionStore } from "../src/index.js";
import { hashSessionId, splitSessionId } from "../src/stores/session-id.js";
import { userHash } from "./support/user-tags.js";
import type { UserSessionInfo } from "../src/index.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { describeStoreContract } from "./support/store-contract.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
let mf: Miniflare;
let baseUrl: string;

beforeAll(async () => {
  if (!existsSync(join(here, "../dist/index.js"))) {
    throw new Error("The KV worker imports the built package: run `npm run build` at the repository root first.");
  }
  dir = await mkdtemp(join(tmpdir(), "hattip-session-kv-"));
  const scriptPath = join(dir, "worker.js");
  await build({
    entryPoints: [join(here, "kv/worker.ts")],
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
    // Module names are taken relative to this; the default (cwd) cannot reach a temp folder.
    modulesRoot: dir,
    kvNamespaces: ["SESSIONS"],
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

const kv = () => mf.getKVNamespace("SESSIONS");
const keyOf = async (id: string) => `session:${await hashSessionId(id)}`;
const browser = () => new CookieClient(baseUrl);

// The shared contract suite, with the store in Node and every KV call going to workerd's KV through Miniflare's binding proxy.
describeStoreContract({ name: "KvSessionStore (KV through Miniflare's proxy)", revocable: true, indexesUsers: true, tagsUsers: true }, async () => {
  const namespace = await kv();
  const make = (secret: string | undefined) =>
    new KvSessionStore<Record<string, unknown>>({ userTagSecret: secret, getStore: () => namespace, prefix: "contract:" });
  return { store: make(userTagSecret), withUserTagSecret: make };
});

describe("KvSessionStore in workerd", () => {
  it("honours the store contract, checked inside the worker", async () => {
    const response = await fetch(`${baseUrl}/contract`);
    const results = (await response.json()) as { name: string; ok: boolean; error?: string }[];
    expect(results.length).toBeGreaterThanOrEqual(19);
    expect(results.filter((result) => !result.ok)).toEqual([]);
  });

  it("keeps the session in KV under the SHA-256 of its ID, with a TTL of the lifetime", async () => {
    const tab = browser();
    await tab.get("/increment");
    await tab.get("/increment");
    expect(JSON.parse((await tab.get("/read")).body)).toEqual({ data: { count: 2 }, isFresh: false });

    const id = tab.jar.get("session")!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { keys } = await (await kv()).list({ prefix: await keyOf(id) });
    expect(keys.map((key) => key.name)).toEqual([await keyOf(id)]);
    const { keys: all } = await (await kv()).list();
    expect(all.some((key) => key.name.includes(id))).toBe(false);
    const weekFromNow = Date.now() / 1000 + 7 * 24 * 3600;
    expect(keys[0]!.expiration).toBeGreaterThan(weekFromNow - 60);
    expect(keys[0]!.expiration).toBeLessThanOrEqual(weekFromNow + 1);
  });

  it("ends a one-second session on time although KV keeps the key for at least 60 s", async () => {
    const tab = browser();
    await tab.get("/short/increment");
    const id = tab.jar.get("short")!;
    const [key] = (await (await kv()).list({ prefix: await keyOf(id) })).keys;
    expect(key!.expiration).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 58);

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(JSON.parse((await tab.get("/short/read")).body)).toEqual({ data: {}, isFresh: true });
    expect(await (await kv()).get(await keyOf(id))).not.toBeNull();
  });

  it("regenerate leaves the old ID dead where it ran and the data under the new one", async () => {
    const tab = browser();
    await tab.get("/increment");
    const oldId = tab.jar.get("session")!;
    await tab.get("/login?user=ada");
    const newId = tab.jar.get("session")!;
    expect(newId).not.toBe(oldId);
    expect(JSON.parse((await tab.get("/read")).body)).toEqual({ data: { count: 1, user: "ada" }, isFresh: false });

    const attacker = browser();
    attacker.jar.set("session", oldId);
    expect(JSON.parse((await attacker.get("/read")).body)).toEqual({ data: {}, isFresh: true });
  });

  it("logout clears the cookie and leaves a short-lived tombstone, not the session", async () => {
    const tab = browser();
    await tab.get("/increment");
    const id = tab.jar.get("session")!;
    const response = await tab.get("/logout");
    expect(parseSetCookie(response.setCookies[0]!).attributes.get("max-age")).toBe("0");

    const stored = await (await kv()).get(await keyOf(id));
    expect(stored).not.toMatch(/^3\./);
    const [key] = (await (await kv()).list({ prefix: await keyOf(id) })).keys;
    expect(key!.expiration).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);

    const replay = browser();
    replay.jar.set("session", id);
    expect(JSON.parse((await replay.get("/read")).body)).toEqual({ data: {}, isFresh: true });
  });

  it("never adopts an unknown ID: the session is saved under a new one", async () => {
    const tab = browser();
    tab.jar.set("session", "A".repeat(43));
    await tab.get("/increment");
    expect(tab.jar.get("session")).not.toBe("A".repeat(43));
    expect(await (await kv()).get(await keyOf("A".repeat(43)))).toBeNull();
  });

  it.each([
    ["a value not in the record format", () => "not a session"],
    ["a record whose data is not JSON", () => `1|${Date.now()}|${Date.now() + 60_000}|{oops`],
    ["a record whose data is null", () => `1|${Date.now()}|${Date.now() + 60_000}|null`],
  ])("gives a fresh session, not a 500, for %s", async (_, value) => {
    const tab = browser();
    await tab.get("/increment");
    await (await kv()).put(await keyOf(tab.jar.get("session")!), value());
    const response = await tab.get("/read");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: {}, isFresh: true });
  });

  it("answers 503 through SessionStoreUnavailableError when KV refuses the calls", async () => {
    const tab = browser();
    const write = await tab.get("/broken/increment");
    expect(write.status).toBe(503);
    expect(write.setCookies).toEqual([]);
    tab.jar.set("broken", "A".repeat(43));
    expect((await tab.get("/broken/read")).status).toBe(503);
    expect((await tab.get("/read")).status).toBe(200);
  });

  it("costs one KV read for a read-only request, one read-check plus one write for a change, and a read before each destroy", async () => {
    const opsDuring = async (action: () => Promise<unknown>) => {
      await fetch(`${baseUrl}/kv-ops`);
      await action();
      return (await (await fetch(`${baseUrl}/kv-ops`)).json()) as Record<string, number>;
    };
    const tab = browser();
    expect(await opsDuring(() => tab.get("/read"))).toEqual({ get: 0, put: 0, delete: 0, list: 0 });
    expect(await opsDuring(() => tab.get("/increment"))).toEqual({ get: 0, put: 1, delete: 0, list: 0 });
    expect(await opsDuring(() => tab.get("/read"))).toEqual({ get: 1, put: 0, delete: 0, list: 0 });
    expect(await opsDuring(() => tab.get("/increment"))).toEqual({ get: 2, put: 1, delete: 0, list: 0 });
    expect(await opsDuring(() => tab.get("/login"))).toEqual({ get: 2, put: 2, delete: 0, list: 0 });
    expect(await opsDuring(() => tab.get("/logout"))).toEqual({ get: 2, put: 1, delete: 0, list: 0 });
  });

  it("does not bring back a session destroyed while a slower request was using it", async () => {
    const tab1 = browser();
    await tab1.get("/login?user=ada");
    const tab2 = browser();
    tab2.jar.set("session", tab1.jar.get("session")!);

    const slow = tab1.get("/slow-write");
    for (let attempt = 0; attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Log out only once the slow request has loaded the session and is waiting.
      if (await isSlowWriteWaiting()) break;
    }
    await tab2.get("/logout");
    expect(await (await fetch(`${baseUrl}/release`)).json()).toEqual({ released: true });
    expect((await slow).status).toBe(200);

    expect(JSON.parse((await tab1.get("/read")).body)).toEqual({ data: {}, isFresh: true });
  });
});

/** A browser on one device: its own cookies and user agent. */
class Device extends CookieClient {
  constructor(readonly userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0") {
    super(baseUrl);
  }

  override request(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    headers.set("user-agent", this.userAgent);
    return super.request(path, { ...init, headers });
  }

  async json<T = Record<string, unknown>>(path: string): Promise<T> {
    const response = await this.get(path);
    expect(response.status, `${path} answered ${response.body}`).toBe(200);
    return JSON.parse(response.body) as T;
  }

  whoami = (prefix = "") => this.json<{ user: string | null; isFresh: boolean }>(`${prefix}/user/whoami`);
  sessions = (prefix = "") => this.json<UserSessionInfo[]>(`${prefix}/user/sessions`);
  ownHandle = async (prefix = "") => (await this.sessions(prefix)).find((session) => session.current)!.handle;
}

const newUser = () => `user-${crypto.randomUUID()}`;
const signedOut = { user: null, isFresh: true };

/** KV calls the worker's store made during `action`. */
async function kvOpsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
  await fetch(`${baseUrl}/kv-ops`);
  await action();
  return (await (await fetch(`${baseUrl}/kv-ops`)).json()) as Record<string, number>;
}

/** Waits until a request is parked at the worker's gate `name`. */
async function waitAtGate(name: string): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const { waiting } = (await (await fetch(`${baseUrl}/gate-waiting?name=${name}`)).json()) as { waiting: boolean };
    if (waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no request reached the gate ${name}`);
}

async function releaseGate(name: string): Promise<void> {
  expect(await (await fetch(`${baseUrl}/gate-release?name=${name}`)).json()).toEqual({ released: true });
}

describe("a user's sessions in KV, in workerd", () => {
  const gateName = () => `gate-${crypto.randomUUID()}`;

  it("gives each bound session an entry under a keyed hash of the user, expiring with it, its list line in metadata", async () => {
    const user = `ada.lovelace+${crypto.randomUUID()}@example.com`;
    const laptop = new Device();
    await laptop.json(`/user/login?user=${encodeURIComponent(user)}`);
    const id = laptop.jar.get("session")!;
    const { tag } = splitSessionId(id);
    const sessionKey = `session:{${tag}}${await hashSessionId(id)}`;
    const entryPrefix = `session:user:${await userHash(user)}:`;

    const { keys } = await (await kv()).list({ prefix: entryPrefix });
    expect(keys.map((key) => key.name)).toEqual([entryPrefix + (await hashSessionId(id))]);
    const [session] = (await (await kv()).list({ prefix: sessionKey })).keys;
    expect(Math.abs(keys[0]!.expiration! - session!.expiration!)).toBeLessThanOrEqual(1);
    const [listed] = await laptop.sessions();
    expect(keys[0]!.metadata).toEqual({ c: listed!.createdAt, s: listed!.lastSeenAt, e: listed!.expiresAt, d: "Firefox on Linux" });
    const { keys: all } = await (await kv()).list();
    expect(all.map((key) => key.name).join(" ")).not.toMatch(/lovelace|example\.com/);

    await laptop.get("/logout");
    expect((await (await kv()).list({ prefix: entryPrefix })).keys).toEqual([]);
  });

  it("costs one read for a read-only request, one list to list, one write and two checking reads more than an anonymous session for a write", async () => {
    const user = newUser();
    const [laptop, phone] = [new Device(), new Device()];
    expect(await kvOpsDuring(() => laptop.get(`/user/login?user=${user}`))).toEqual({ get: 0, put: 2, delete: 0, list: 0 });
    expect(await kvOpsDuring(() => laptop.get("/user/touch"))).toEqual({ get: 1, put: 0, delete: 0, list: 0 });
    // The load and the check that it is live, as for any session; then the session after its entry, and the entry after the session.
    expect(await kvOpsDuring(() => laptop.get("/increment"))).toEqual({ get: 4, put: 2, delete: 0, list: 0 });
    expect(await kvOpsDuring(() => laptop.get("/user/sessions"))).toEqual({ get: 1, put: 0, delete: 0, list: 1 });
    // Ending a bound session reads it once more after deleting its entry.
    expect(await kvOpsDuring(() => laptop.get(`/user/login?user=${user}`))).toEqual({ get: 3, put: 3, delete: 1, list: 0 });
    await phone.get("/increment");
    expect(await kvOpsDuring(() => phone.get(`/user/login?user=${user}`))).toEqual({ get: 2, put: 3, delete: 0, list: 0 });
    expect(await kvOpsDuring(() => laptop.get("/user/revoke-others"))).toEqual({ get: 2, put: 1, delete: 1, list: 2 });
    expect(await kvOpsDuring(() => laptop.get("/logout"))).toEqual({ get: 3, put: 1, delete: 1, list: 0 });
  });

  it("a re-login racing sign-out-everywhere does not carry the revoked session to a new ID", async () => {
    const user = newUser();
    const [laptop, phone] = [new Device(), new Device()];
    await laptop.json(`/user/login?user=${user}`);
    await phone.json(`/user/login?user=${user}`);
    const gate = gateName();
    const relogin = laptop.get(`/user/login?user=${user}&gate=${gate}`);
    await waitAtGate(gate);
    await phone.json("/user/revoke-others");
    await releaseGate(gate);
    expect((await relogin).status).toBe(200);
    expect(await laptop.whoami()).toEqual(signedOut);
    expect((await phone.sessions()).map((session) => session.current)).toEqual([true]);
  });

  it("a login landing inside a sign-out-everywhere is ended by it, a re-login and a first login alike", async () => {
    const user = newUser();
    const [laptop, phone, desktop] = [new Device(), new Device(), new Device()];
    await laptop.json(`/user/login?user=${user}`);
    await phone.json(`/user/login?user=${user}`);
    await desktop.get("/increment");
    const gate = gateName();
    // Parked at its first write: it has listed the laptop and the phone, and ended neither.
    const revoke = phone.get(`/user/revoke-others?store-gate=${gate}`);
    await waitAtGate(gate);
    await laptop.json(`/user/login?user=${user}`);
    await desktop.json(`/user/login?user=${user}`);
    expect((await laptop.whoami()).user).toBe(user);
    await releaseGate(gate);
    expect((await revoke).status).toBe(200);
    expect(await laptop.whoami()).toEqual(signedOut);
    expect(await desktop.whoami()).toEqual(signedOut);
    expect(await phone.whoami()).toEqual({ user, isFresh: false });
  });

  it("a revoke racing a rolling refresh: the refresh writes nothing and the session stays ended", async () => {
    const user = newUser();
    const [laptop, phone] = [new Device(), new Device()];
    await laptop.json(`/rolling/user/login?user=${user}`);
    await phone.json(`/rolling/user/login?user=${user}`);
    const handle = await laptop.ownHandle("/rolling");
    await new Promise((resolve) => setTimeout(resolve, 600));
    const gate = gateName();
    const refresh = laptop.get(`/rolling/user/touch?gate=${gate}`);
    await waitAtGate(gate);
    await phone.json(`/rolling/user/revoke?handle=${handle}`);
    await releaseGate(gate);
    const refreshed = await refresh;
    expect(refreshed.status).toBe(200);
    expect(refreshed.setCookies).toEqual([]);
    expect(await laptop.whoami("/rolling")).toEqual(signedOut);
    expect((await phone.sessions("/rolling")).map((session) => session.handle)).not.toContain(handle);
  });

  it("keeps each user's entry in KV at least until its session's deadline, through refreshes: no expiry unlists a live session", async () => {
    const user = newUser();
    const laptop = new Device();
    await laptop.json(`/rolling/user/login?user=${user}`);
    const id = laptop.jar.get("rolling")!;
    const entryKey = `session:user:${await userHash(user)}:${await hashSessionId(id)}`;
    const expiries = async () => {
      const [entry] = (await (await kv()).list({ prefix: entryKey })).keys;
      return { entryExpiresAt: entry!.expiration! * 1000, deadline: (entry!.metadata as { e: number }).e };
    };
    const atLogin = await expiries();
    expect(atLogin.entryExpiresAt).toBeGreaterThanOrEqual(atLogin.deadline);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await laptop.json("/rolling/user/touch");
    const refreshed = await expiries();
    expect(refreshed.deadline).toBeGreaterThan(atLogin.deadline);
    expect(refreshed.entryExpiresAt).toBeGreaterThanOrEqual(refreshed.deadline);
  });

  describe("a rolling refresh racing sign-out-everywhere, each interleaving held by gates", () => {
    /** A user signed in on a laptop (whose session is due a rolling refresh) and a phone. */
    async function signedIn() {
      const user = newUser();
      const [laptop, phone] = [new Device(), new Device()];
      await laptop.json(`/rolling/user/login?user=${user}`);
      await phone.json(`/rolling/user/login?user=${user}`);
      await new Promise((resolve) => setTimeout(resolve, 600));
      return { user, laptop, phone };
    }
    /** The laptop signed out for good, and the phone's list naming the phone alone. */
    async function expectLaptopSignedOut(laptop: Device, phone: Device) {
      expect(await laptop.whoami("/rolling")).toEqual(signedOut);
      expect(await laptop.whoami("/rolling")).toEqual(signedOut);
      expect((await phone.sessions("/rolling")).map((session) => session.current)).toEqual([true]);
    }

    /**
     * The laptop's rolling refresh held at its KV call `refreshAt`; then the
     * phone's revoke of its other sessions, run whole, or held at `revokeAt`
     * while the refresh goes on; then the revoke. The laptop ends signed out.
     */
    async function refreshRacingRevoke(refreshAt: string, revokeAt?: string) {
      const { laptop, phone } = await signedIn();
      const refreshGate = gateName();
      const refresh = laptop.get(`/rolling/user/touch?store-gate=${refreshGate}&gate-at=${refreshAt}`);
      await waitAtGate(refreshGate);
      if (revokeAt === undefined) {
        await phone.json("/rolling/user/revoke-others");
        await releaseGate(refreshGate);
        expect((await refresh).status).toBe(200);
      } else {
        const revokeGate = gateName();
        const revoke = phone.get(`/rolling/user/revoke-others?store-gate=${revokeGate}&gate-at=${revokeAt}`);
        await waitAtGate(revokeGate);
        await releaseGate(refreshGate);
        expect((await refresh).status).toBe(200);
        await releaseGate(revokeGate);
        expect((await revoke).status).toBe(200);
      }
      await expectLaptopSignedOut(laptop, phone);
    }

    it("a refresh that read the session before the revoke and writes between its rounds does not survive it", async () => {
      // The refresh has read the session, live, and is held before its first write (the entry); the revoke's first
      // round has ended the laptop's session and deleted its entry, and it is held before its second listing.
      await refreshRacingRevoke("put:1", "list:2");
    });

    it("a refresh that read the session before the revoke and writes after all of it does not write the session back", async () => {
      await refreshRacingRevoke("put:1");
    });

    it("a refresh whose session write lands after the whole revoke buries the session again", async () => {
      // Held before its second write, the session itself: its entry is written, its checks are done.
      await refreshRacingRevoke("put:2");
    });

    it("a refresh that writes between the revoke's tombstone and its entry delete is ended again by the revoke", async () => {
      // The revoke has written the laptop's tombstone and is held before deleting the entry; the refresh writes the
      // session over the tombstone, and finds its entry still there.
      await refreshRacingRevoke("put:2", "delete:1");
    });

    it("a session and entry written back between the revoke's rounds, as by a refresh elsewhere, are ended by its next round", async () => {
      const { user, laptop, phone } = await signedIn();
      const id = laptop.jar.get("rolling")!;
      const sessionKey = `session:{${splitSessionId(id).tag}}${await hashSessionId(id)}`;
      const entryKey = `session:user:${await userHash(user)}:${await hashSessionId(id)}`;
      const namespace = await kv();
      const [value, entry] = [await namespace.get(sessionKey), (await namespace.list({ prefix: entryKey })).keys[0]];
      const gate = gateName();
      const revoke = phone.get(`/rolling/user/revoke-others?store-gate=${gate}&gate-at=list:2`);
      await waitAtGate(gate);
      expect(await laptop.whoami("/rolling")).toEqual(signedOut);
      await namespace.put(entryKey, "", { expirationTtl: 120, metadata: entry!.metadata });
      await namespace.put(sessionKey, value!, { expirationTtl: 120 });
      await releaseGate(gate);
      expect((await revoke).status).toBe(200);
      await expectLaptopSignedOut(laptop, phone);
    });
  });

  it("two logins of one user at once both stand, both listed, and both end with a revoke-all", async () => {
    const user = newUser();
    const [laptop, phone] = [new Device(), new Device()];
    await laptop.get("/increment");
    await phone.get("/increment");
    const [first, second] = [gateName(), gateName()];
    const logins = [laptop.get(`/user/login?user=${user}&gate=${first}`), phone.get(`/user/login?user=${user}&gate=${second}`)];
    await Promise.all([waitAtGate(first), waitAtGate(second)]);
    await Promise.all([releaseGate(first), releaseGate(second)]);
    expect((await Promise.all(logins)).map((response) => response.status)).toEqual([200, 200]);
    expect((await laptop.sessions()).map((session) => session.current).sort()).toEqual([false, true]);
    expect((await phone.sessions()).map((session) => session.current).sort()).toEqual([false, true]);
    await new Device().json(`/user/revoke-all?user=${user}`);
    expect(await laptop.whoami()).toEqual(signedOut);
    expect(await phone.whoami()).toEqual(signedOut);
  });
});

/** Whether /slow-write is parked in its handler, asked without releasing it. */
async function isSlowWriteWaiting(): Promise<boolean> {
  const response = await fetch(`${baseUrl}/slow-write-waiting`);
  return ((await response.json()) as { waiting: boolean }).waiting;
}
