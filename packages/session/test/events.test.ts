/**
 * Lifecycle events over real HTTP, on all nine stores: each event fires
 * when the session really changed (and only then), carries the handle
 * `listSessions()` shows, and no event ever holds a session ID, a cookie
 * value or session data (every test checks every event it heard).
 */
import { compose, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { session, type SessionEvent, type SessionOptions, type SessionStore, type UserSessionIndex } from "../src/index.js";
import { useEveryStore, type StoreKit } from "./support/every-store.js";
import { eventRecorder, expectNoSecrets, HANDLE, MapStore, WatchedClient } from "./support/events.js";
import { pause } from "./support/lifetime-probe.js";
import { serve, type Served } from "./support/serve.js";
import { DEVICES, userRoutes } from "./support/user-app.js";

declare module "../src/index.js" {
  interface SessionData {
    secret?: string;
  }
}

const stores = useEveryStore();
const running: Served[] = [];
/** Every ID, cookie value and data value the current test saw: no event it heard may hold one. */
let secrets = new Set<string>();
let heardInTest: SessionEvent[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
  if (heardInTest.length > 0) expectNoSecrets(heardInTest, secrets);
  secrets = new Set();
  heardInTest = [];
});

/** What the user-session tests' app does (regenerate, list, revoke, log out), and what only these tests need. */
const userSessionRoutes = userRoutes(new Map());
const routes: RequestHandler = async (ctx) => {
  const s = ctx.session;
  const { pathname, searchParams } = ctx.url;
  switch (pathname) {
    case "/read":
      return Response.json({ isFresh: s.isFresh, user: s.userId ?? null });
    case "/write": {
      const secret = `data-${crypto.randomUUID()}`;
      secrets.add(secret);
      s.data.secret = secret;
      return Response.json({ ok: true });
    }
    case "/login":
      s.bindUser(searchParams.get("user") ?? "ada");
      s.markAuthenticated();
      return Response.json({ ok: true });
    case "/authenticate":
      s.markAuthenticated();
      return Response.json({ ok: true });
    case "/blob": {
      const secret = `data-${crypto.randomUUID()}`;
      secrets.add(secret);
      s.data.secret = secret + "x".repeat(Number(searchParams.get("size")));
      return Response.json({ ok: true });
    }
    default:
      return userSessionRoutes(ctx);
  }
};

/** The app with `options`, its events recorded, and browsers that remember what they saw. */
async function start(options: Omit<SessionOptions, "events">, recorder = eventRecorder()) {
  const served = await serve(compose(cookie(), session({ ...options, events: recorder.listeners }), routes));
  running.push(served);
  const take = () => {
    const events = recorder.take();
    heardInTest.push(...events);
    return events;
  };
  return { browser: (userAgent?: string) => browser(served.url, userAgent), take, recorder };
}

function browser(url: string, userAgent?: string) {
  const client = new WatchedClient(url, secrets);
  if (!userAgent) return client;
  const request = client.request.bind(client);
  client.request = (path, init = {}) => request(path, { ...init, headers: { ...(init.headers as Record<string, string>), "user-agent": userAgent } });
  return client;
}

const handleExpected = (kit: StoreKit) => (kit.serverSide ? expect.stringMatching(HANDLE) : undefined);
const common = (kit: StoreKit) => ({ at: expect.any(Number), store: kit.name, cookieName: "session" });

describe.each(stores)("events with $name", (kit) => {
  it("reports created on a session's first write, with a handle where sessions have one, and nothing for reads and updates", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser();
    await tab.get("/read");
    expect(take()).toEqual([]);
    const before = Date.now();
    await tab.get("/write");
    const [created, ...rest] = take();
    expect(rest).toEqual([]);
    expect(created).toEqual({ type: "created", ...common(kit), handle: handleExpected(kit), userId: undefined });
    expect(created!.at).toBeGreaterThanOrEqual(before);
    await tab.get("/read");
    await tab.get("/write");
    expect(take()).toEqual([]);
  });

  it("reports rotated on regenerate(), from the old handle to the new one", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser();
    await tab.get("/write");
    const [created] = take();
    await tab.get("/regenerate");
    const [rotated, ...rest] = take();
    expect(rest).toEqual([]);
    expect(rotated).toEqual({
      type: "rotated",
      ...common(kit),
      handle: handleExpected(kit),
      previousHandle: (created as { handle?: string }).handle,
      userId: undefined,
    });
    if (kit.serverSide) expect((rotated as { handle: string }).handle).not.toBe((created as { handle: string }).handle);
  });

  it("reports cookieRefused with the reason malformed for a cookie no store of this kind makes, and a handle for none", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser();
    tab.jar.set("session", "not-a-session-value");
    await tab.get("/read");
    // The memory store looks any ID up as it is: for it the value is only a session it does not have.
    const reason = kit.name === "UnsafeMemoryStore" ? "unknown_session" : "malformed";
    const handle = kit.name === "UnsafeMemoryStore" ? expect.stringMatching(HANDLE) : undefined;
    expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason, handle }]);
  });

  it("reports cookieRefused expired for a session kept past the absolute lifetime of the session() that reads it", async () => {
    const store = await kit.make();
    const lasting = await start({ store });
    const tab = lasting.browser();
    await tab.get("/write");
    const [created] = lasting.take();
    const strict = await start({ store, absoluteLifetime: 1 });
    const same = strict.browser();
    for (const [name, value] of tab.jar) same.jar.set(name, value);
    await pause(1_100);
    expect(JSON.parse((await same.get("/read")).body)).toMatchObject({ isFresh: true });
    expect(strict.take()).toEqual([{ type: "cookieRefused", ...common(kit), reason: "expired", handle: (created as { handle?: string }).handle }]);
  });

  it("reports a cookie past its idle deadline as expired, or in a server-side store, which keeps nothing of an expired session, unknown_session", async () => {
    const { browser, take } = await start({ store: await kit.make(), cookieOptions: { maxAge: 1 } });
    const tab = browser();
    await tab.get("/write");
    const [created] = take();
    const value = tab.jar.get("session")!;
    await pause(1_100);
    tab.jar.set("session", value);
    await tab.get("/read");
    const reason = kit.serverSide ? "unknown_session" : "expired";
    expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason, handle: (created as { handle?: string }).handle }]);
  });

  it("reports cookieRefused schema_rejected when the schema refuses what the store holds", async () => {
    const store = await kit.make();
    const loose = await start({ store });
    const tab = loose.browser();
    await tab.get("/write");
    const [created] = loose.take();
    const strict = await start({ store, schema: z.object({ secret: z.number() }) } as unknown as SessionOptions);
    const same = strict.browser();
    for (const [name, value] of tab.jar) same.jar.set(name, value);
    expect(JSON.parse((await same.get("/read")).body)).toMatchObject({ isFresh: true });
    expect(strict.take()).toEqual([
      { type: "cookieRefused", ...common(kit), reason: "schema_rejected", handle: (created as { handle?: string }).handle },
    ]);
  });

  it("reports destroyed when destroy() ends a live session, and no destroyed for a cookie that names none", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser();
    await tab.get("/write");
    const [created] = take();
    const cookie = tab.jar.get("session")!;
    await tab.get("/logout");
    expect(take()).toEqual([
      { type: "destroyed", ...common(kit), handle: (created as { handle?: string }).handle, userId: undefined, device: undefined },
    ]);
    const replay = browser();
    replay.jar.set("session", cookie);
    await replay.get("/logout");
    if (kit.serverSide) {
      // The session is gone: its cookie is refused, and there is nothing left to destroy.
      expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason: "unknown_session", handle: (created as { handle?: string }).handle }]);
    } else {
      // A cookie store cannot end a copy of its cookie: the replayed session is live, and destroying it is reported again.
      expect(take().map((event) => event.type)).toEqual(["destroyed"]);
    }
  });
});

describe.each(stores.filter((kit) => !kit.clientEditable))("sign-in events with $name", (kit) => {
  it("reports a sign-in as rotated, bound with the user ID and sudoConfirmed, under the handle listSessions shows", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser(DEVICES.laptop);
    await tab.get("/write");
    const [created] = take();
    await tab.get("/login?user=ada");
    const signIn = take();
    const handle = handleExpected(kit);
    expect(signIn).toEqual([
      { type: "rotated", ...common(kit), handle, previousHandle: (created as { handle?: string }).handle, userId: "ada" },
      { type: "bound", ...common(kit), handle, userId: "ada", device: "Firefox on Linux" },
      { type: "sudoConfirmed", ...common(kit), handle, userId: "ada" },
    ]);
    if (kit.serverSide) {
      const listed = JSON.parse((await tab.get("/sessions")).body) as { handle: string; current: boolean }[];
      expect(listed).toEqual([expect.objectContaining({ handle: (signIn[0] as { handle: string }).handle, current: true })]);
    }
  });

  it("reports a sign-in of a new visitor as created, then bound, and signing in again as the same user as bound again", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser();
    await tab.get("/login?user=ada");
    expect(take().map((event) => [event.type, (event as { userId?: string }).userId])).toEqual([
      ["created", "ada"],
      ["bound", "ada"],
      ["sudoConfirmed", "ada"],
    ]);
    await tab.get("/login?user=ada");
    expect(take().map((event) => event.type)).toEqual(["rotated", "bound", "sudoConfirmed"]);
  });

  it("reports sudoConfirmed alone when a signed-in user proves it again, and destroyed with the user at sign-out", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser(DEVICES.phone);
    await tab.get("/login?user=ada");
    const [created] = take();
    await tab.get("/authenticate");
    expect(take()).toEqual([{ type: "sudoConfirmed", ...common(kit), handle: (created as { handle?: string }).handle, userId: "ada" }]);
    await tab.get("/logout");
    expect(take()).toEqual([
      { type: "destroyed", ...common(kit), handle: (created as { handle?: string }).handle, userId: "ada", device: "Safari on iPhone" },
    ]);
  });
});

describe("events with a store of your own", () => {
  it("reports refused for a cookie a store of your own finds nothing for", async () => {
    const { browser, take } = await start({ store: new MapStore() });
    const tab = browser();
    await tab.get("/write");
    expect(take()).toEqual([
      { type: "created", at: expect.any(Number), store: "MapStore", cookieName: "session", handle: undefined, userId: undefined },
    ]);
    tab.jar.set("session", crypto.randomUUID());
    await tab.get("/read");
    expect(take()).toEqual([
      { type: "cookieRefused", at: expect.any(Number), store: "MapStore", cookieName: "session", reason: "refused", handle: undefined },
    ]);
  });
});

describe.each(stores.filter((kit) => !kit.serverSide))("cookie refusals with $name", (kit) => {
  it("reports unknown_key for a cookie from a key the store does not hold, tampered for an edited one", async () => {
    if (kit.clientEditable) return;
    const { browser, take } = await start({ store: await kit.make() });
    const other = await start({ store: await kit.make() });
    const elsewhere = other.browser();
    await elsewhere.get("/write");
    other.take();
    const tab = browser();
    tab.jar.set("session", elsewhere.jar.get("session")!);
    await tab.get("/read");
    expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason: "unknown_key", handle: undefined }]);

    await tab.get("/write");
    take();
    const value = tab.jar.get("session")!;
    const at = value.length - 5;
    tab.jar.set("session", value.slice(0, at) + (value[at] === "A" ? "B" : "A") + value.slice(at + 1));
    await tab.get("/read");
    expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason: "tampered", handle: undefined }]);
  });

  it("reports too_large, and no created, when the session would not fit in its cookie", async () => {
    const { browser, take } = await start({ store: await kit.make() });
    const tab = browser();
    const response = await tab.get("/blob?size=5000");
    expect(response.status).toBe(500);
    expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason: "too_large", handle: undefined }]);
  });

  it("reports malformed for chunks that do not add up", async () => {
    const { browser, take } = await start({ store: await kit.make(), chunking: true });
    const tab = browser();
    tab.jar.set("session.0", "first-chunk-of-a-value");
    tab.jar.set("session.2", "third-chunk-of-a-value");
    await tab.get("/read");
    expect(take()).toEqual([{ type: "cookieRefused", ...common(kit), reason: "malformed", handle: undefined }]);
  });
});

describe.each(stores.filter((kit) => kit.serverSide))("revoke events with $name", (kit) => {
  async function signedIn(store: SessionStore, recorder = eventRecorder()) {
    const app = await start({ store }, recorder);
    const devices = { laptop: app.browser(DEVICES.laptop), phone: app.browser(DEVICES.phone), desktop: app.browser(DEVICES.desktop) };
    for (const device of Object.values(devices)) await device.get("/login?user=ada");
    app.take();
    const listed = JSON.parse((await devices.laptop.get("/sessions")).body) as { handle: string; device: string; current: boolean }[];
    const handleOf = (label: string) => listed.find((entry) => entry.device.startsWith(label))!.handle;
    return { ...app, devices, laptop: handleOf("Firefox"), phone: handleOf("Safari"), desktop: handleOf("Chrome") };
  }

  it("reports a revoke of one device and of all others, with the handle of the session that asked", async () => {
    const { devices, laptop, phone, desktop, take } = await signedIn(await kit.make());
    await devices.laptop.get(`/revoke?handle=${phone}`);
    expect(take()).toEqual([
      {
        type: "revoked",
        ...common(kit),
        userId: "ada",
        scope: "one",
        handle: phone,
        keptHandle: undefined,
        requestedBy: { kind: "session", handle: laptop },
      },
    ]);
    expect(JSON.parse((await devices.phone.get("/read")).body)).toEqual({ isFresh: true, user: null });
    take();
    await devices.laptop.get("/revoke-others");
    expect(take()).toEqual([
      {
        type: "revoked",
        ...common(kit),
        userId: "ada",
        scope: "others",
        handle: undefined,
        keptHandle: laptop,
        requestedBy: { kind: "session", handle: laptop },
      },
    ]);
    expect(JSON.parse((await devices.desktop.get("/read")).body)).toEqual({ isFresh: true, user: null });
    expect(desktop).toMatch(HANDLE);
  });

  it("reports no revoke for a handle not shaped like one, which ends nothing", async () => {
    const { devices, take } = await signedIn(await kit.make());
    await devices.laptop.get("/revoke?handle=nothing");
    expect(take()).toEqual([]);
  });

  it("reports a revoke the app asks of the store outside a request to the store's listeners, with no request context", async () => {
    const storeEvents = eventRecorder();
    const store = (await kit.make({ events: storeEvents.listeners })) as SessionStore & UserSessionIndex;
    const { laptop } = await signedIn(store);
    // A sign-in is session() news, not the store's: its listeners heard nothing of it.
    expect(storeEvents.heard).toEqual([]);
    await store.revokeUserSessions("ada", undefined, laptop);
    await store.revokeUserSessions("ada");
    const heard = storeEvents.heard.splice(0);
    heardInTest.push(...heard.map(({ event }) => event));
    expect(heard).toEqual([
      {
        event: {
          type: "revoked",
          at: expect.any(Number),
          store: kit.name,
          cookieName: undefined,
          userId: "ada",
          scope: "others",
          handle: undefined,
          keptHandle: laptop,
          requestedBy: { kind: "app" },
        },
        ctx: undefined,
      },
      expect.objectContaining({ event: expect.objectContaining({ scope: "all", keptHandle: undefined, requestedBy: { kind: "app" } }) }),
    ]);
  });

  it("tells one listener object given to session() and to the store each revoke once, whoever asked", async () => {
    const shared = eventRecorder();
    const store = (await kit.make({ events: shared.listeners })) as SessionStore & UserSessionIndex;
    const { devices, phone, take } = await signedIn(store, shared);
    await devices.laptop.get(`/revoke?handle=${phone}`);
    expect(take().map((event) => [event.type, (event as { requestedBy?: { kind: string } }).requestedBy?.kind])).toEqual([["revoked", "session"]]);
    await store.revokeUserSessions("ada");
    expect(take().map((event) => [event.type, (event as { requestedBy?: { kind: string } }).requestedBy?.kind])).toEqual([["revoked", "app"]]);
  });

  it("tells the store's own listeners of the revokes a session asks for too, and nothing else of the session's", async () => {
    const storeEvents = eventRecorder();
    const { devices, laptop, phone } = await signedIn(await kit.make({ events: storeEvents.listeners }));
    await devices.laptop.get(`/revoke?handle=${phone}`);
    await devices.laptop.get("/logout");
    const heard = storeEvents.heard.splice(0).map(({ event }) => event);
    heardInTest.push(...heard);
    expect(heard).toEqual([
      expect.objectContaining({ type: "revoked", scope: "one", handle: phone, requestedBy: { kind: "session", handle: laptop } }),
    ]);
  });
});
