/**
 * Cluster failover under load, short version of `npm run failover`: 3
 * primaries with 1 replica each, one primary SIGKILLed while autocannon
 * drives the node-redis starter with durability on. The shard's replica
 * takes over; sessions held by the other shards are read all along and
 * never fail; nothing acknowledged is lost or resurrected; the app
 * recovers with no restart.
 */
import { expect, it } from "vitest";
import { clusterKill, formatFigures } from "./support/failover-harness.js";

/** node timeout 1 s, then the replica's election; writes wait for the killed node to rejoin as a replica (restarted 1 s later). */
const RECOVERY_BOUND_MS = 20_000;

it("with durability: other shards keep working throughout, 0 lost, 0 resurrected, bounded 503 window, no restart", async () => {
  const figures = await clusterKill({
    durable: true,
    load: { connections: 6, ratePerSecond: 40, maxRequests: 1_500, beforeFaultMs: 2_000, afterFaultMs: 10_000 },
    restartAfterMs: 1_000,
  });
  console.log(formatFigures(figures));
  expect(figures.appRestarted).toBe(false);
  expect(figures.timeouts).toBe(0);
  expect(figures.unexpected).toEqual({});
  expect(figures.failed).toBeGreaterThan(0);
  expect(figures.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
  expect(figures.failureWindowMs).toBeLessThan(RECOVERY_BOUND_MS);
  expect(figures.otherShards!.reads).toBeGreaterThan(20);
  expect(figures.otherShards!.failed).toBe(0);
  expect(figures.ledger.unanswered).toBe(0);
  expect(figures.ledger.kept).toBeGreaterThan(0);
  expect(figures.ledger.lost).toEqual([]);
  expect(figures.ledger.resurrected).toEqual([]);
});
