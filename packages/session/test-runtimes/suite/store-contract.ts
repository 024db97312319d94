/**
 * What every SessionStore owes the middleware, written once: vitest runs
 * it (test/support/store-contract.ts) against the Node-side stores, and
 * the runtimes suite runs it in Node, workerd, edge-runtime, Deno and Bun.
 * It needs nothing but promises and timers. Cookie stores cannot revoke a
 * value the client holds, and only server-side stores index sessions by
 * user: the subject's flags say so.
 */
import type { RequestContext } from "@hattip/compose";
import {
  MAX_LISTED_USER_SESSIONS,
  SessionKeyError,
  SessionSetupError,
  type RecordStore,
  type SessionRecord,
  type SessionStore,
  type UserSessionIndex,
} from "hattip-session";
import { assert, assertEqual, assertNotEqual, assertRejects, pause } from "./harness.js";

export type Data = Record<string, unknown>;

/** Where tests are registered: the runtimes suite's TestList, or vitest's `it`. */
export interface TestRegistrar {
  test(name: string, body: () => Promise<void> | void): void;
}

export interface StoreSubject {
  name: string;
  make: () => Promise<SessionStore<Data>>;
  /** `false` for cookie stores: destroy() cannot take back a cookie. */
  revocable: boolean;
  /** `true` for stores with a per-user index (list and revoke a user's sessions). */
  indexesUsers?: boolean;
  /**
   * For a store whose bound sessions' IDs carry their user's tag (every
   * server store but memory): a store that keeps its sessions where
   * `make()`'s does, made with this `userTagSecret` (`undefined`: none)
   * instead of the tests' own, as the same app deployed with another secret.
   */
  withUserTagSecret?: (userTagSecret: string | undefined) => Promise<SessionStore<Data>>;
}

/** Long enough for a save and a load on a busy machine; the tests wait 2.5 times as long. */
export const SHORT_LIFETIME_MS = 250;

const sample: Data = { user: "ada", roles: ["admin"], nested: { count: 1, text: 'żółw 🐢 "quoted"; a=b|c' } };

type FullStore = SessionStore<Data> & RecordStore<Data>;
type IndexedStore = FullStore & UserSessionIndex;

const liveRecord = (data: Data = sample, meta?: SessionRecord<Data>["meta"]): SessionRecord<Data> => {
  const now = Date.now();
  return meta ? { data, createdAt: now - 5_000, expiresAt: now + 60_000, meta } : { data, createdAt: now - 5_000, expiresAt: now + 60_000 };
};

export function storeContract(tests: TestRegistrar, subject: StoreSubject, ctx: () => RequestContext): void {
  const it = (behaviour: string, body: (store: FullStore) => Promise<void>) =>
    tests.test(`${subject.name} store: ${behaviour}`, async () => body((await subject.make()) as FullStore));

  it("loads what it saved", async (store) => {
    const id = await store.save(null, sample, 60_000, ctx());
    assertEqual(await store.load(id, ctx()), sample, "loaded data");
  });

  it("hands out copies: changing the saved or the loaded object changes nothing stored", async (store) => {
    const original = structuredClone(sample) as { roles: string[] };
    const id = await store.save(null, original, 60_000, ctx());
    original.roles.push("intruder");
    const loaded = (await store.load(id, ctx())) as { roles: string[] };
    assertEqual(loaded, sample, "loaded after changing the saved object");
    loaded.roles.push("changed after load");
    assertEqual(await store.load(id, ctx()), sample, "loaded after changing the loaded object");
  });

  it("answers null for unknown and malformed IDs", async (store) => {
    for (const id of ["", "unknown", "x".repeat(5000), "%%%", "a.b.c", "\u0000", "🐢", "A".repeat(43)]) {
      assertEqual(await store.load(id, ctx()), null, `load(${JSON.stringify(id.slice(0, 12))})`);
    }
  });

  it("forgets a session once its max age has passed", async (store) => {
    const savedAt = Date.now();
    const id = await store.save(null, sample, SHORT_LIFETIME_MS, ctx());
    const early = await store.load(id, ctx());
    // Checked only when the machine was quick enough for the load to fall before the deadline.
    if (Date.now() - savedAt < SHORT_LIFETIME_MS) assertEqual(early, sample, "before expiry");
    await pause(SHORT_LIFETIME_MS * 2.5);
    assertEqual(await store.load(id, ctx()), null, "after expiry");
  });

  it("keeps a record's timestamps and metadata, and refuses it after its deadline", async (store) => {
    const kept = liveRecord(sample, { user: "user-1", authAt: Date.now() - 1_000, agent: "Firefox on Linux", flash: { notice: "Saved | done" } });
    const keptId = await store.saveRecord(null, kept, ctx());
    assertEqual(await store.loadRecord(keptId, ctx()), kept, "loaded record");
    const now = Date.now();
    const expiredId = await store.saveRecord(null, { data: sample, createdAt: now - 5_000, expiresAt: now - 1 }, ctx());
    assertEqual(await store.loadRecord(expiredId, ctx()), null, "record past its deadline");
  });

  it("drops __proto__, constructor and prototype keys from stored data, at any depth", async (store) => {
    const record = liveRecord(JSON.parse('{"safe":1,"__proto__":{"polluted":true},"nested":{"constructor":{"prototype":{"x":1}},"ok":2}}') as Data);
    const loaded = await store.loadRecord(await store.saveRecord(null, record, ctx()), ctx());
    assertEqual(loaded?.data, { safe: 1, nested: { ok: 2 } }, "loaded data");
    assertEqual((Object.assign({}, loaded?.data) as { polluted?: unknown }).polluted, undefined, "a copy's inherited property");
  });

  it(subject.revocable ? "destroy() forgets the session" : "destroy() cannot revoke a cookie", async (store) => {
    const id = await store.save(null, sample, 60_000, ctx());
    const result: unknown = store.destroy(id, ctx());
    assert(result instanceof Promise, "destroy() returns a Promise");
    await result;
    assertEqual(await store.load(id, ctx()), subject.revocable ? null : sample, "after destroy");
  });

  if (!subject.revocable) return;

  it("destroyRecord() tells whether a live session was there", async (store) => {
    const id = await store.save(null, sample, 60_000, ctx());
    assertEqual(await store.destroyRecord(id, ctx()), true, "destroying a live session");
    assertEqual(await store.destroyRecord(id, ctx()), false, "destroying it again");
    assertEqual(await store.destroyRecord("client-chosen-session-id", ctx()), false, "destroying an unknown ID");
  });

  it("never adopts an ID the client made up: a save under it stores the data under a new ID, returned", async (store) => {
    const chosen = "client-chosen-session-id";
    const id = await store.save(chosen, sample, 60_000, ctx());
    assertNotEqual(id, chosen, "issued ID");
    assertEqual(await store.load(chosen, ctx()), null, "load(chosen ID)");
    assertEqual(await store.load(id, ctx()), sample, "load(issued ID)");
  });

  it("saves a destroyed session's data under a new ID, returned, and never under the dead one", async (store) => {
    const dead = await store.save(null, sample, 60_000, ctx());
    await store.destroy(dead, ctx());
    const id = await store.save(dead, { user: "grace" }, 60_000, ctx());
    assertNotEqual(id, dead, "issued ID");
    assertEqual(await store.load(dead, ctx()), null, "load(dead ID)");
    assertEqual(await store.load(id, ctx()), { user: "grace" }, "load(issued ID)");
  });

  it("updateRecord() writes nothing to a session destroyed meanwhile", async (store) => {
    const id = await store.save(null, sample, 60_000, ctx());
    assertEqual(await store.updateRecord(id, liveRecord({ user: "grace" }), ctx()), id, "update of a live session");
    assertEqual(await store.load(id, ctx()), { user: "grace" }, "after the update");
    await store.destroy(id, ctx());
    assertEqual(await store.updateRecord(id, liveRecord({ user: "mallory" }), ctx()), null, "update of a destroyed session");
    assertEqual(await store.load(id, ctx()), null, "load after the refused update");
  });

  it("rotateRecord() moves a live session to a new ID and destroys the old one", async (store) => {
    const old = await store.save(null, sample, 60_000, ctx());
    const next = await store.rotateRecord(old, liveRecord({ user: "ada", step: 2 }), ctx());
    assert(typeof next === "string" && next !== old, `a new ID, got ${String(next)}`);
    assertEqual(await store.load(old, ctx()), null, "the old ID");
    assertEqual(await store.load(next, ctx()), { user: "ada", step: 2 }, "the new ID");
  });

  it("rotateRecord() refuses a session ended meanwhile and stores nothing", async (store) => {
    const old = await store.save(null, sample, 60_000, ctx());
    await store.destroy(old, ctx());
    assertEqual(await store.rotateRecord(old, liveRecord({ user: "revived" }), ctx()), null, "rotation of an ended session");
    assertEqual(await store.load(old, ctx()), null, "the old ID");
  });

  if (!subject.indexesUsers) return;
  userIndexContract(tests, subject, ctx);
  if (subject.withUserTagSecret) userTagContract(tests, subject, subject.withUserTagSecret, ctx);
}

const boundTo = (user: string): SessionRecord<Data> => {
  const now = Date.now();
  return { data: { user }, createdAt: now, expiresAt: now + 60_000, meta: { user, agent: "A", seenAt: now } };
};

/** The tag after the dot of a bound session's ID. */
const tagOf = (id: string) => id.slice(id.lastIndexOf(".") + 1);

/** The secret that keys the user tag: what a store without it refuses, and what changing it ends. */
function userTagContract(
  tests: TestRegistrar,
  subject: StoreSubject,
  withSecret: (userTagSecret: string | undefined) => Promise<SessionStore<Data>>,
  ctx: () => RequestContext,
): void {
  const it = (behaviour: string, body: (user: string) => Promise<void>) =>
    tests.test(`${subject.name} store: ${behaviour}`, () => body(`user-${crypto.randomUUID()}`));

  it("refuses a userTagSecret shorter than 32 characters, or not a string, with a SessionKeyError", async () => {
    for (const bad of ["", "x".repeat(31), 42 as unknown as string]) {
      await assertRejects(() => withSecret(bad), SessionKeyError, `userTagSecret ${JSON.stringify(bad)}`);
    }
  });

  it("without userTagSecret, refuses to bind, list or revoke with a SessionSetupError, and keeps anonymous sessions", async (user) => {
    const store = (await withSecret(undefined)) as IndexedStore;
    assertEqual(await store.load(await store.save(null, sample, 60_000, ctx()), ctx()), sample, "an anonymous session");
    await assertRejects(() => store.createRecord(boundTo(user), ctx()), SessionSetupError, "createRecord() of a bound session");
    await assertRejects(() => store.assertCanBindUsers?.(), SessionSetupError, "assertCanBindUsers()");
    await assertRejects(() => store.listUserSessions(user, ctx()), SessionSetupError, "listUserSessions()");
    await assertRejects(() => store.revokeUserSessions(user, ctx()), SessionSetupError, "revokeUserSessions()");
  });

  it("gives one user another tag under another secret, and ends a session bound under another secret: it loads as none, and is gone", async (user) => {
    const store = (await subject.make()) as IndexedStore;
    const other = (await withSecret("another deployment's secret, 32+ chars")) as IndexedStore;
    const mine = await store.createRecord(boundTo(user), ctx());
    const theirs = await other.createRecord(boundTo(user), ctx());
    assertNotEqual(tagOf(theirs), tagOf(mine), "the user's tag under two secrets");
    assertEqual(await other.load(mine, ctx()), null, "a session bound under another secret");
    assertEqual(await store.load(mine, ctx()), null, "that session, under its own secret, after the other loaded it");
    assertEqual(await other.load(theirs, ctx()), { user }, "a session bound under this secret");
  });
}

/** Listing and revoking a user's sessions: what every server-side store owes. */
function userIndexContract(tests: TestRegistrar, subject: StoreSubject, ctx: () => RequestContext): void {
  const it = (behaviour: string, body: (store: IndexedStore, user: string) => Promise<void>) =>
    tests.test(`${subject.name} store: ${behaviour}`, async () => {
      // A user of its own per test: stores are shared between tests in some runners.
      await body((await subject.make()) as IndexedStore, `user-${crypto.randomUUID()}`);
    });
  const bound = (user: string, agent: string, overrides: Partial<SessionRecord<Data>> = {}): SessionRecord<Data> => {
    const now = Date.now();
    return { data: { user }, createdAt: now, expiresAt: now + 60_000, meta: { user, agent, seenAt: now }, ...overrides };
  };

  it("lists a user's live sessions with opaque handles, their times and devices", async (store, user) => {
    const first = await store.createRecord(bound(user, "Firefox on Linux"), ctx());
    await pause(5);
    const second = await store.createRecord(bound(user, "Safari on iPhone"), ctx());
    await store.createRecord(bound(`${user}-other`, "Chrome on Windows"), ctx());
    const listed = await store.listUserSessions(user, ctx());
    assertEqual(
      listed.map((session) => session.device),
      ["Firefox on Linux", "Safari on iPhone"],
      "devices, oldest first",
    );
    const handles = listed.map((session) => session.handle);
    assertEqual(handles, [await store.sessionHandle(first), await store.sessionHandle(second)], "handles");
    for (const handle of handles) {
      assert(
        !first.includes(handle) && !second.includes(handle) && !handle.includes(first) && !handle.includes(second),
        "a handle never contains an ID",
      );
    }
    for (const session of listed) {
      assert(session.createdAt <= session.lastSeenAt && session.lastSeenAt < session.expiresAt, `times in order: ${JSON.stringify(session)}`);
      assertEqual(session.current, false, "current, outside a request");
    }
  });

  it("lists nothing for a user without sessions, and no session once it ended or expired", async (store, user) => {
    assertEqual(await store.listUserSessions(user, ctx()), [], "a user never seen");
    const ended = await store.createRecord(bound(user, "A"), ctx());
    await store.destroyRecord(ended, ctx());
    const now = Date.now();
    await store.createRecord(bound(user, "B", { expiresAt: now + SHORT_LIFETIME_MS }), ctx());
    await pause(SHORT_LIFETIME_MS * 2.5);
    assertEqual(await store.listUserSessions(user, ctx()), [], "after a destroy and an expiry");
  });

  it("revokes one session by its handle, at once", async (store, user) => {
    const kept = await store.createRecord(bound(user, "A"), ctx());
    const revoked = await store.createRecord(bound(user, "B"), ctx());
    await store.revokeUserSession(user, await store.sessionHandle(revoked), ctx());
    assertEqual(await store.load(revoked, ctx()), null, "the revoked session");
    assertEqual(await store.load(kept, ctx()), { user }, "the other session");
    assertEqual((await store.listUserSessions(user, ctx())).length, 1, "sessions listed afterwards");
  });

  it("revokes nothing for a forged, foreign or stale handle", async (store, user) => {
    const mine = await store.createRecord(bound(user, "A"), ctx());
    const theirs = await store.createRecord(bound(`${user}-other`, "B"), ctx());
    const stale = await store.createRecord(bound(user, "C"), ctx());
    const staleHandle = await store.sessionHandle(stale);
    await store.destroyRecord(stale, ctx());
    for (const handle of ["forged-handle", "", await store.sessionHandle(theirs), staleHandle, mine]) {
      await store.revokeUserSession(user, handle, ctx());
    }
    assertEqual(await store.load(mine, ctx()), { user }, "the user's session");
    assertEqual(await store.load(theirs, ctx()), { user: `${user}-other` }, "another user's session");
  });

  it("revokes every session of a user, or all but one", async (store, user) => {
    const sessions = [];
    for (const agent of ["A", "B", "C"]) sessions.push(await store.createRecord(bound(user, agent), ctx()));
    const other = await store.createRecord(bound(`${user}-other`, "D"), ctx());
    await store.revokeUserSessions(user, ctx(), await store.sessionHandle(sessions[0]!));
    assertEqual(await store.load(sessions[0]!, ctx()), { user }, "the session kept");
    for (const id of sessions.slice(1)) assertEqual(await store.load(id, ctx()), null, "a revoked session");
    await store.revokeUserSessions(user, ctx());
    assertEqual(await store.load(sessions[0]!, ctx()), null, "the last session, after revoking all");
    assertEqual(await store.listUserSessions(user, ctx()), [], "sessions listed afterwards");
    assertEqual(await store.load(other, ctx()), { user: `${user}-other` }, "another user's session");
  });

  it("refuses a user ID that is not a non-empty string with a TypeError, and ends nothing", async (store, user) => {
    const id = await store.createRecord(bound(user, "A"), ctx());
    const handle = await store.sessionHandle(id);
    // An array holding the ID would turn into the ID itself if a store ever let it through a template string.
    for (const bad of [undefined, null, 42, { id: user }, [user], "", "x".repeat(513)] as unknown as string[]) {
      const shown = JSON.stringify(bad)?.slice(0, 20) ?? String(bad);
      await assertRejects(() => store.listUserSessions(bad, ctx()), TypeError, `listUserSessions(${shown})`);
      await assertRejects(() => store.revokeUserSession(bad, handle, ctx()), TypeError, `revokeUserSession(${shown}, handle)`);
      await assertRejects(() => store.revokeUserSessions(bad, ctx()), TypeError, `revokeUserSessions(${shown})`);
    }
    assertEqual(await store.load(id, ctx()), { user }, "the user's session");
    assertEqual((await store.listUserSessions(user, ctx())).length, 1, "sessions listed afterwards");
  });

  it("revokes nothing for a handle that is not a string shaped like one", async (store, user) => {
    const id = await store.createRecord(bound(user, "A"), ctx());
    const handle = await store.sessionHandle(id);
    for (const bad of [undefined, null, 42, {}, [handle], ` ${handle}`, `${handle}x`, handle.slice(1)] as unknown as string[]) {
      await store.revokeUserSession(user, bad, ctx());
    }
    assertEqual(await store.load(id, ctx()), { user }, "the user's session");
  });

  it("revokes every session of the user when the handle to keep names none of them", async (store, user) => {
    const theirs = await store.createRecord(bound(`${user}-other`, "B"), ctx());
    for (const except of [await store.sessionHandle(theirs), "not-a-handle", 42 as unknown as string]) {
      const mine = [await store.createRecord(bound(user, "A"), ctx()), await store.createRecord(bound(user, "C"), ctx())];
      await store.revokeUserSessions(user, ctx(), except);
      for (const id of mine) assertEqual(await store.load(id, ctx()), null, `a session of the user, kept by ${JSON.stringify(except)}`);
    }
    assertEqual(await store.load(theirs, ctx()), { user: `${user}-other` }, "another user's session");
  });

  it(`lists at most ${MAX_LISTED_USER_SESSIONS} sessions, the most recently active, oldest first; revoking still ends them all`, async (store, user) => {
    const now = Date.now();
    // The soonest deadline: the session used longest ago, left out of a full list.
    const stale = await store.createRecord(bound(user, "stale", { createdAt: now - 10_000, expiresAt: now + 30_000 }), ctx());
    const devices = Array.from({ length: MAX_LISTED_USER_SESSIONS }, (_, i) => `device ${i}`);
    await Promise.all(
      devices.map((device, i) => {
        const seenAt = now - 5_000 + i;
        return store.createRecord(
          bound(user, device, { createdAt: seenAt, expiresAt: now + 60_000 + i, meta: { user, agent: device, seenAt } }),
          ctx(),
        );
      }),
    );
    const listed = await store.listUserSessions(user, ctx());
    assertEqual(
      listed.map((session) => session.device),
      devices,
      "devices listed",
    );
    await store.revokeUserSessions(user, ctx());
    assertEqual(await store.load(stale, ctx()), null, "the session left out of the list, after revoking all");
    assertEqual(await store.listUserSessions(user, ctx()), [], "sessions listed afterwards");
  });

  it("keeps a session listed through updates and moves it with rotateRecord()", async (store, user) => {
    const id = await store.createRecord(bound(user, "A"), ctx());
    const later = Date.now() + 1_000;
    await store.updateRecord(id, bound(user, "A", { meta: { user, agent: "A", seenAt: later } }), ctx());
    const [listed] = await store.listUserSessions(user, ctx());
    assertEqual(listed?.lastSeenAt, later, "last seen after an update");
    const moved = await store.rotateRecord(id, bound(user, "A"), ctx());
    assert(moved !== null, "rotated");
    assertEqual(
      (await store.listUserSessions(user, ctx())).map((session) => session.handle),
      [await store.sessionHandle(moved)],
      "handles after the move",
    );
  });
}
