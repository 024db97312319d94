/**
 * The behaviour every SessionStore owes the middleware, run against each
 * store. Server-side stores can forget a session on demand; cookie stores
 * cannot (the data travels with the client), which `revocable` states.
 */
import type { RequestContext } from "@hattip/compose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/index.js";

export interface StoreUnderTest {
  store: SessionStore<Record<string, unknown>>;
  /** Passed to every store call; defaults to an empty context. */
  ctx?: RequestContext;
  /** `false` for cookie stores: destroy() cannot revoke a value the client holds. */
  revocable: boolean;
  /**
   * `false` only for the unsigned cookie store: it keeps no deadline the
   * client could not edit, so the cookie's Max-Age is its only expiry.
   */
  enforcesExpiry?: boolean;
  teardown?: () => Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeStoreContract(name: string, setup: () => Promise<StoreUnderTest>) {
  describe(`${name} honours the store contract`, () => {
    let subject: StoreUnderTest;
    let ctx: RequestContext;
    beforeAll(async () => {
      subject = await setup();
      ctx = subject.ctx ?? ({} as RequestContext);
    });
    afterAll(() => subject?.teardown?.());

    const data = { user: "ada", roles: ["admin"], nested: { n: 1, unicode: "żółw 🐢" } };

    it("loads what it saved", async () => {
      const id = await subject.store.save(null, data, 60_000, ctx);
      expect(await subject.store.load(id, ctx)).toEqual(data);
    });

    it("returns a copy, not the object it was given", async () => {
      const original = structuredClone(data);
      const id = await subject.store.save(null, original, 60_000, ctx);
      original.roles.push("intruder");
      const loaded = await subject.store.load(id, ctx);
      expect(loaded).toEqual(data);
      (loaded!.roles as string[]).push("changed after load");
      expect(await subject.store.load(id, ctx)).toEqual(data);
    });

    it("forgets a session once its max age has passed", async () => {
      const id = await subject.store.save(null, data, 300, ctx);
      expect(await subject.store.load(id, ctx)).toEqual(data);
      await pause(700);
      expect(await subject.store.load(id, ctx)).toEqual(subject.enforcesExpiry === false ? data : null);
    });

    it("never adopts an ID the client made up", async () => {
      const chosen = "attacker-chosen-session-id";
      const id = await subject.store.save(chosen, data, 60_000, ctx);
      expect(id).not.toBe(chosen);
      expect(await subject.store.load(chosen, ctx)).toBeNull();
    });

    it("gives null for unknown and malformed IDs", async () => {
      for (const id of ["", "nope", "x".repeat(5000), "%%%", "a.b.c", "\u0000"]) {
        expect(await subject.store.load(id, ctx)).toBeNull();
      }
    });

    it("keeps the timestamps of a record when it keeps records", async () => {
      const { store } = subject;
      if (!store.loadRecord || !store.saveRecord) return;
      const createdAt = Date.now() - 5_000;
      const expiresAt = Date.now() + 60_000;
      const id = await store.saveRecord(null, { data, createdAt, expiresAt }, ctx);
      expect(await store.loadRecord(id, ctx)).toEqual({ data, createdAt, expiresAt });
    });

    it("rejects a record whose deadline has passed", async () => {
      const { store } = subject;
      if (!store.saveRecord || !store.loadRecord) return;
      const id = await store.saveRecord(null, { data, createdAt: Date.now() - 1_000, expiresAt: Date.now() + 200 }, ctx);
      await pause(500);
      expect(await store.loadRecord(id, ctx)).toBeNull();
    });

    it("destroy() forgets the session when the store can revoke it", async () => {
      const id = await subject.store.save(null, data, 60_000, ctx);
      await subject.store.destroy(id, ctx);
      expect(await subject.store.load(id, ctx)).toEqual(subject.revocable ? null : data);
    });
  });
}
