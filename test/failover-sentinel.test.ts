/**
 * Sentinel failover under load, short version of `npm run failover`:
 * 1 primary, 1 replica, 3 sentinels; the replica is cut off for a moment
 * and then the primary is SIGKILLed, so that the replica Sentinel promotes
 * lacks the last writes. Without durability, acknowledged logins are lost
 * and acknowledged logouts come back (which shows the scenario bites);
 * with it, none. Either way the app answers 503 for a bounded time and
 * recovers with no restart.
 */
import { expect, it } from "vitest";
import { formatFigures, type KillOptions, sentinelKill, type Figures, type LoadShape } from "./support/failover-harness.js";

const load = (afterFaultMs: number): LoadShape => ({ connections: 6, ratePerSecond: 40, maxRequests: 1_500, beforeFaultMs: 2_000, afterFaultMs });
/** Sentinel calls the primary down after 1 s and fails over in about 2.5 s; node-redis follows within seconds. */
const RECOVERY_BOUND_MS = 15_000;
/**
 * With durability, logins also wait for the killed node to come back as a
 * replica: restarted as soon as the failover is done, it still reports
 * itself a primary, and Sentinel converts it only once it has done so for
 * 8 s (and at its next INFO), about 10-11 s after the restart.
 */
const DURABLE_RECOVERY_BOUND_MS = 25_000;

/**
 * A run of the scenario under test: one failover. With a 1 s down-after on a loaded two-core machine, the
 * sentinels can fail over a second time (the new primary briefly misses their pings), which demotes the
 * node that holds the acknowledged writes: another scenario, outside what durability promises. Such a run is
 * printed and the drill runs again, three times at most; the figures judged are always a one-failover run's
 * or the test fails on that count.
 */
async function oneFailoverRun(options: KillOptions): Promise<Figures> {
  for (let attempt = 1; ; attempt++) {
    const figures = await sentinelKill(options);
    console.log(formatFigures(figures));
    if (figures.sentinel?.failovers === 1 || attempt === 3) return figures;
  }
}

function expectServedThroughout(figures: Figures, bound: number) {
  expect(figures.appRestarted).toBe(false);
  expect(figures.timeouts).toBe(0);
  expect(figures.unexpected).toEqual({});
  expect(figures.ledger.unanswered).toBe(0);
  expect(figures.failed).toBeGreaterThan(0);
  expect(figures.recoveryMs).toBeLessThan(bound);
  expect(figures.failureWindowMs).toBeLessThan(bound);
}

it("without durability: a bounded 503 window, recovery with no restart, and the writes the replica missed are lost or resurrected", async () => {
  const figures = await sentinelKill({ durable: false, load: load(7_000), restartAfterMs: 0, replicaCutOffMs: 800 });
  console.log(formatFigures(figures));
  expectServedThroughout(figures, RECOVERY_BOUND_MS);
  expect(figures.ledger.lost.length + figures.ledger.resurrected.length).toBeGreaterThan(0);
});

it("with durability: 0 sessions lost, 0 resurrected, recovery with no restart", async () => {
  const figures = await oneFailoverRun({ durable: true, load: load(18_000), restartAfterMs: 0, replicaCutOffMs: 800 });
  expect(figures.sentinel?.failovers).toBe(1);
  expectServedThroughout(figures, DURABLE_RECOVERY_BOUND_MS);
  expect(figures.ledger.kept).toBeGreaterThan(0);
  expect(figures.ledger.ended).toBeGreaterThan(0);
  expect(figures.ledger.lost).toEqual([]);
  expect(figures.ledger.resurrected).toEqual([]);
}, 300_000);
