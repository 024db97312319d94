/**
 * How RedisSessionStore bounds each command, against a real redis-server:
 * one deadline per command, kept by the store (one timer for all of them),
 * and no second timer of node-redis's own per command.
 */
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore, SessionStoreUnavailableError } from "../src/index.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";

let redis: RedisServer;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
});
afterAll(async () => {
  if (client?.isOpen) await client.close();
  await redis?.stop();
});
afterEach(() => redis.resume());

const record = (data: Record<string, unknown>) => ({ data, createdAt: Date.now(), expiresAt: Date.now() + 60_000 });

/** Calls to AbortSignal.timeout (node-redis starts one per command unless told not to) while `action` runs. */
async function abortTimersDuring(action: () => Promise<unknown>): Promise<number> {
  const original = AbortSignal.timeout;
  let calls = 0;
  AbortSignal.timeout = (ms: number) => {
    calls++;
    return original.call(AbortSignal, ms);
  };
  try {
    await action();
  } finally {
    AbortSignal.timeout = original;
  }
  return calls;
}

describe("RedisSessionStore's command deadlines", () => {
  it("sends its commands without node-redis's own per-command timer, which the client's other commands keep", async () => {
    const store = new RedisSessionStore({ getClient: () => client });
    const id = await store.createRecord(record({ count: 1 }), {} as never);
    const ours = await abortTimersDuring(async () => {
      expect((await store.loadEntry(id, {} as never))?.record.data).toEqual({ count: 1 });
      expect(await store.updateRecord(id, record({ count: 2 }), {} as never)).toBe(id);
      expect(await store.destroyRecord(id, {} as never)).toBe(true);
    });
    expect(ours).toBe(0);
    // The app's own commands on the same client are untouched: node-redis still times each of them.
    expect(await abortTimersDuring(() => client.get("unrelated"))).toBe(1);
  });

  it("fails every command Redis leaves unanswered at its own deadline, then serves again", async () => {
    const timeout = 400;
    const store = new RedisSessionStore({ getClient: () => client, timeout });
    const id = await store.createRecord(record({ count: 1 }), {} as never);
    redis.pause();
    const started = performance.now();
    // Three reads sent 150 ms apart, all waiting on the frozen server at once.
    const outcomes = [0, 150, 300].map(async (delay) => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const sent = performance.now();
      const error = await Promise.resolve(store.loadEntry(id, {} as never)).then(
        () => null,
        (failure: unknown) => failure,
      );
      return { error, sentAt: sent - started, waited: performance.now() - sent };
    });
    const settled = await Promise.all(outcomes);
    redis.resume();
    for (const { error, waited } of settled) {
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as Error).message).toContain(`did not answer within ${timeout} ms`);
      // Never before its deadline; each its own (not held for the first one's timer, not released with it).
      expect(waited).toBeGreaterThanOrEqual(timeout - 5);
      expect(waited).toBeLessThan(timeout + 1000);
    }
    expect(settled[2]!.sentAt + settled[2]!.waited).toBeGreaterThan(settled[0]!.sentAt + settled[0]!.waited + 200);
    // The timer is set again for the next commands: a later outage still fails in time, and the session is intact.
    expect((await store.loadEntry(id, {} as never))?.record.data).toEqual({ count: 1 });
    redis.pause();
    await expect(store.loadEntry(id, {} as never)).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    redis.resume();
    expect((await store.loadEntry(id, {} as never))?.record.data).toEqual({ count: 1 });
  });

  it("says a write that timed out on a frozen Redis may still land, and it does when Redis resumes", async () => {
    const timeout = 300;
    const store = new RedisSessionStore({ getClient: () => client, timeout });
    const id = await store.createRecord(record({ count: 1 }), {} as never);
    redis.pause();
    const failure = await store.updateRecord(id, record({ count: 2 }), {} as never).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
    expect((failure as Error).message).toMatch(/a write Redis already received may still be applied/);
    expect((failure as Error).message).not.toMatch(/intact/);
    redis.resume();
    // Redis runs what it had received: the update reported as failed lands, as the message said it might.
    await expect.poll(async () => (await store.loadEntry(id, {} as never))?.record.data, { timeout: 5_000 }).toEqual({ count: 2 });
  });
});
