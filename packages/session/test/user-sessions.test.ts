/**
 * A user's sessions over real HTTP, on every store on its real backend
 * (support/every-store.ts): bind at login, list the devices,
 * sign one out, sign out everywhere else, and the answers to bad input.
 * Cookie stores cannot list or revoke what only browsers hold, and say so.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SessionOptions, SessionStore, UserSessionIndex, UserSessionInfo } from "../src/index.js";
import { CookieClient } from "./support/browser-like-client.js";
import { useEveryStore } from "./support/every-store.js";
import { pause } from "./support/lifetime-probe.js";
import type { Served } from "./support/serve.js";
import { DEVICES, serveUserApp } from "./support/user-app.js";

const stores = useEveryStore();
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

/** A browser on one device: its own cookies, its own user agent. */
class Device extends CookieClient {
  constructor(
    baseUrl: string,
    readonly userAgent: string,
  ) {
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

  sessions = () => this.json<UserSessionInfo[]>("/sessions");
  whoami = () => this.json<{ user: string | null; isFresh: boolean }>("/whoami");
  /** This device's own handle, as its list names it. */
  ownHandle = async () => (await this.sessions()).find((session) => session.current)!.handle;
}

async function start(store: SessionStore, options: Partial<SessionOptions> = {}) {
  const served = await serveUserApp({ store, ...options });
  running.push(served);
  return {
    laptop: new Device(served.url, DEVICES.laptop),
    phone: new Device(served.url, DEVICES.phone),
    desktop: new Device(served.url, DEVICES.desktop),
  };
}

describe.each(stores.filter((kit) => kit.serverSide))("a user's sessions with $name", (kit) => {
  it("binds at login under a new ID and lists the session as this device", async () => {
    const { laptop } = await start(await kit.make());
    await laptop.get("/change");
    const anonymousId = laptop.jar.get("session")!;
    const before = Date.now();
    await laptop.json("/login?user=ada");
    expect(laptop.jar.get("session")).not.toBe(anonymousId);

    const [listed, ...more] = await laptop.sessions();
    expect(more).toEqual([]);
    expect(listed).toEqual({
      handle: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      createdAt: expect.any(Number),
      lastSeenAt: listed!.createdAt,
      expiresAt: expect.any(Number),
      device: "Firefox on Linux",
      current: true,
    });
    expect(listed!.createdAt).toBeGreaterThanOrEqual(before - 5);
    expect(listed!.expiresAt).toBeGreaterThan(Date.now());
    // The handle leads to neither ID.
    expect(laptop.jar.get("session")!.includes(listed!.handle)).toBe(false);
    const stale = new Device(laptop.baseUrl, DEVICES.laptop);
    stale.jar.set("session", anonymousId);
    expect(await stale.whoami()).toEqual({ user: null, isFresh: true });
  });

  it("lists every device of the user, each marking its own, and signs one out from another at once", async () => {
    const { laptop, phone, desktop } = await start(await kit.make());
    await laptop.json("/login?user=ada");
    await pause(5);
    await phone.json("/login?user=ada");
    await desktop.json("/login?user=grace");

    const fromLaptop = await laptop.sessions();
    const fromPhone = await phone.sessions();
    expect(fromLaptop.map((session) => [session.device, session.current])).toEqual([
      ["Firefox on Linux", true],
      ["Safari on iPhone", false],
    ]);
    expect(fromPhone.map((session) => [session.device, session.current])).toEqual([
      ["Firefox on Linux", false],
      ["Safari on iPhone", true],
    ]);
    expect(fromPhone.map((session) => session.handle)).toEqual(fromLaptop.map((session) => session.handle));

    // The phone signs the laptop out.
    await phone.json(`/revoke?handle=${fromPhone[0]!.handle}`);
    expect(await laptop.whoami()).toEqual({ user: null, isFresh: true });
    expect((await phone.sessions()).map((session) => session.device)).toEqual(["Safari on iPhone"]);
    expect(await desktop.whoami()).toEqual({ user: "grace", isFresh: false });
  });

  it("signs out every other device and keeps this one", async () => {
    const { laptop, phone, desktop } = await start(await kit.make());
    for (const device of [laptop, phone, desktop]) await device.json("/login?user=ada");
    await phone.json("/revoke-others");
    expect(await laptop.whoami()).toEqual({ user: null, isFresh: true });
    expect(await desktop.whoami()).toEqual({ user: null, isFresh: true });
    expect(await phone.whoami()).toEqual({ user: "ada", isFresh: false });
    expect((await phone.sessions()).map((session) => [session.device, session.current])).toEqual([["Safari on iPhone", true]]);
  });

  it("drops a session from the list when it logs out, and lists it again under its new ID after a regenerate", async () => {
    const { laptop, phone } = await start(await kit.make());
    await laptop.json("/login?user=ada");
    await phone.json("/login?user=ada");
    const before = await phone.ownHandle();
    await phone.json("/regenerate");
    const after = await phone.ownHandle();
    expect(after).not.toBe(before);
    expect((await laptop.sessions()).map((session) => session.handle).sort()).toEqual([await laptop.ownHandle(), after].sort());
    await phone.json("/logout");
    expect((await laptop.sessions()).map((session) => session.device)).toEqual(["Firefox on Linux"]);
  });

  it("lists nothing for a session bound to no one, and revoking from it ends nothing", async () => {
    const { laptop, phone } = await start(await kit.make());
    await laptop.json("/login?user=ada");
    const handle = await laptop.ownHandle();
    await phone.get("/change");
    expect(await phone.sessions()).toEqual([]);
    expect(await phone.json(`/revoke?handle=${handle}`)).toEqual({ ok: true });
    expect(await phone.json("/revoke-others")).toEqual({ ok: true });
    expect(await laptop.whoami()).toEqual({ user: "ada", isFresh: false });
  });

  it("ends nothing for a forged, foreign or stale handle, and answers exactly as for a real one", async () => {
    const { laptop, phone, desktop } = await start(await kit.make());
    await laptop.json("/login?user=ada");
    await phone.json("/login?user=ada");
    await desktop.json("/login?user=grace");
    const foreign = await desktop.ownHandle();
    const gone = new Device(laptop.baseUrl, DEVICES.desktop);
    await gone.json("/login?user=ada");
    const stale = await gone.ownHandle();
    await gone.json("/logout");
    const laptopHandle = await laptop.ownHandle();

    const answer = async (handle: string) => {
      const response = await phone.get(`/revoke?handle=${encodeURIComponent(handle)}`);
      return `${response.status} ${response.body}`;
    };
    const bad = ["A".repeat(22), "", "%00", "../session", "x".repeat(5000), foreign, stale, laptopHandle.toLowerCase(), `${laptopHandle} `];
    for (const handle of bad) expect(await answer(handle), JSON.stringify(handle.slice(0, 30))).toBe('200 {"ok":true}');
    expect(await desktop.whoami()).toEqual({ user: "grace", isFresh: false });
    expect(await laptop.whoami()).toEqual({ user: "ada", isFresh: false });
    expect(await phone.whoami()).toEqual({ user: "ada", isFresh: false });

    expect(await answer(laptopHandle)).toBe('200 {"ok":true}');
    expect(await laptop.whoami()).toEqual({ user: null, isFresh: true });
  });

  it("writes nothing to the store for a request that reads or lists; last seen moves only with a write", async () => {
    const store = await kit.make();
    const { laptop } = await start(store);
    await laptop.json("/login?user=ada");
    const [first] = await laptop.sessions();
    const writesBefore = await kit.writes?.();
    await pause(20);
    for (const path of ["/touch", "/sessions", "/whoami", "/sessions"]) await laptop.json(path);
    expect(await kit.writes?.()).toBe(writesBefore);
    expect((await laptop.sessions())[0]!.lastSeenAt).toBe(first!.lastSeenAt);

    const changedAt = Date.now();
    await laptop.json("/change");
    const [seen] = await laptop.sessions();
    expect(seen!.lastSeenAt).toBeGreaterThanOrEqual(changedAt);
    expect(seen!.createdAt).toBe(first!.createdAt);
  });

  it("moves last seen with a rolling refresh", async () => {
    const { laptop } = await start(await kit.make(), { cookieOptions: { maxAge: 120 }, rolling: { refreshInterval: 1 } });
    await laptop.json("/login?user=ada");
    const [first] = await laptop.sessions();
    await pause(1_100);
    await laptop.json("/touch");
    const [refreshed] = await laptop.sessions();
    expect(refreshed!.lastSeenAt).toBeGreaterThanOrEqual(first!.lastSeenAt + 1_000);
    expect(refreshed!.expiresAt).toBeGreaterThanOrEqual(first!.expiresAt + 1_000);
  });

  it("ends every session of a user from outside a request, through the store", async () => {
    const store = await kit.make();
    const { laptop, phone, desktop } = await start(store);
    await laptop.json("/login?user=ada");
    await phone.json("/login?user=ada");
    await desktop.json("/login?user=grace");
    const users = store as SessionStore & UserSessionIndex;
    expect((await users.listUserSessions("ada")).map((session) => session.device)).toEqual(["Firefox on Linux", "Safari on iPhone"]);
    await users.revokeUserSessions("ada");
    expect(await laptop.whoami()).toEqual({ user: null, isFresh: true });
    expect(await phone.whoami()).toEqual({ user: null, isFresh: true });
    expect(await desktop.whoami()).toEqual({ user: "grace", isFresh: false });
    expect(await users.listUserSessions("ada")).toEqual([]);
    await expect(users.revokeUserSessions(undefined as unknown as string)).rejects.toThrow(TypeError);
    await expect(users.listUserSessions("")).rejects.toThrow(/non-empty string/);
  });
});

describe.each(stores.filter((kit) => !kit.serverSide))("a user's sessions with $name", (kit) => {
  it("cannot be listed or revoked: SessionUnsupportedError, and nothing changes", async () => {
    const { laptop } = await start(await kit.make());
    const login = await laptop.get("/login?user=ada");
    // An unsigned cookie refuses the binding itself: the client could forge it.
    expect(login.status).toBe(kit.clientEditable ? 501 : 200);
    for (const path of ["/sessions", "/revoke?handle=AAAAAAAAAAAAAAAAAAAAAA", "/revoke-others"]) {
      const response = await laptop.get(path);
      expect(response.status).toBe(501);
      expect(JSON.parse(response.body)).toMatchObject({ code: "ERR_SESSION_UNSUPPORTED", message: expect.stringContaining("Cookie stores") });
    }
    expect(await laptop.whoami()).toEqual(kit.clientEditable ? { user: null, isFresh: true } : { user: "ada", isFresh: false });
  });
});
