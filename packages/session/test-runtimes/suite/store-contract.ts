/**
 * What every SessionStore owes the middleware, checked through the store's
 * own methods. Cookie stores cannot revoke a value the client holds, and
 * the unsigned one keeps no deadline of its own: the flags say so.
 */
import type { RequestContext } from "@hattip/compose";
import type { SessionStore } from "hattip-session";
import { assert, assertEqual, assertNotEqual, pause, type TestList } from "./harness.js";

export type Data = Record<string, unknown>;

export interface StoreSubject {
  name: string;
  make: () => Promise<SessionStore<Data>>;
  /** `false` for cookie stores: destroy() cannot take back a cookie. */
  revocable: boolean;
  /** `false` for the unsigned cookie store, whose only expiry is the cookie's Max-Age. */
  enforcesExpiry: boolean;
}

/** Long enough for a save and a load on a busy machine; the tests wait 2.5 times as long. */
export const SHORT_LIFETIME_MS = 250;

const sample: Data = { user: "ada", roles: ["admin"], nested: { count: 1, text: "żółw 🐢 \"quoted\"; a=b" } };

export function storeContract(tests: TestList, subject: StoreSubject, ctx: () => RequestContext): void {
  const it = (behaviour: string, body: (store: SessionStore<Data>) => Promise<void>) =>
    tests.test(`${subject.name} store: ${behaviour}`, async () => body(await subject.make()));

  it("loads what it saved", async (store) => {
    const id = await store.save(null, sample, 60_000, ctx());
    assertEqual(await store.load(id, ctx()), sample, "loaded data");
  });

  it("answers null for unknown and malformed IDs", async (store) => {
    for (const id of ["", "unknown", "x".repeat(5000), "%%%", "a.b.c", "\u0000", "🐢"]) {
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
    assertEqual(await store.load(id, ctx()), subject.enforcesExpiry ? null : sample, "after expiry");
  });

  it("keeps a record's timestamps and refuses it after its deadline", async (store) => {
    if (!store.saveRecord || !store.loadRecord) {
      assert(!subject.enforcesExpiry, "a store that enforces expiry must keep records");
      return;
    }
    const now = Date.now();
    const kept = { data: sample, createdAt: now - 5_000, expiresAt: now + 60_000 };
    const keptId = await store.saveRecord(null, kept, ctx());
    assertEqual(await store.loadRecord(keptId, ctx()), kept, "loaded record");
    const expiredId = await store.saveRecord(null, { data: sample, createdAt: now - 5_000, expiresAt: now - 1 }, ctx());
    assertEqual(await store.loadRecord(expiredId, ctx()), null, "record past its deadline");
  });

  it(subject.revocable ? "destroy() forgets the session" : "destroy() cannot revoke a cookie", async (store) => {
    const id = await store.save(null, sample, 60_000, ctx());
    await store.destroy(id, ctx());
    assertEqual(await store.load(id, ctx()), subject.revocable ? null : sample, "after destroy");
  });

  if (subject.revocable) {
    it("never adopts an ID the client made up", async (store) => {
      const chosen = "client-chosen-session-id";
      const id = await store.save(chosen, sample, 60_000, ctx());
      assertNotEqual(id, chosen, "issued ID");
      assertEqual(await store.load(chosen, ctx()), null, "load(chosen ID)");
    });
  }
}
