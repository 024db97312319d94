/**
 * What the memory store's per-user index does at its limits. It has none to
 * reach: the index is a Map of IDs per user with no bound, and an entry
 * leaves it only with its session (a destroy, a revoke, or the sweep of an
 * expired one), so nothing can unlist a live session that a revoke would
 * then miss. (Redis, whose server may evict the index, is in
 * redis-eviction.test.ts; KV's entries expire with their sessions, in
 * kv.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { UnsafeMemoryStore, type SessionRecord } from "../src/index.js";

const bound = (user: string, lifetimeMs: number): SessionRecord => {
  const now = Date.now();
  return { data: {}, createdAt: now, expiresAt: now + lifetimeMs, meta: { user, agent: "curl", seenAt: now } };
};

describe("UnsafeMemoryStore's user index", () => {
  it("has no bound: an entry leaves only with its session, so a revoke-all ends thousands and the sweep unlists only the expired", async () => {
    const store = new UnsafeMemoryStore({ sweepInterval: 0 });
    const live: string[] = [];
    for (let i = 0; i < 3_000; i++) live.push(await store.createRecord(bound("ada", 60_000)));
    const shortLived: string[] = [];
    for (let i = 0; i < 50; i++) shortLived.push(await store.createRecord(bound("ada", 20)));
    await new Promise((resolve) => setTimeout(resolve, 60));
    // The next new session sweeps what expired, index entries with their sessions.
    const grace = await store.createRecord(bound("grace", 60_000));
    expect(store.size).toBe(3_001);
    expect(await store.listUserSessions("ada")).toHaveLength(100);

    await store.revokeUserSessions("ada");
    expect(store.size).toBe(1);
    for (const id of [...live, ...shortLived]) expect(store.loadEntry(id)).toBeNull();
    expect(store.loadEntry(grace)).not.toBeNull();
  });
});
