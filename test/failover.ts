/**
 * `npm run failover`: the three failover scenarios at full length, each
 * kill scenario with and without the store's durability, one line of
 * figures per run (see test/support/failover-harness.ts for what is
 * measured). Exits 1 if a durable run lost or resurrected a session, the
 * app had to be restarted, or a scenario never recovered.
 *
 *   npm run failover
 *   npm run failover -- --only sentinel      sentinel | cluster | partition
 */
import { parseArgs } from "node:util";
import { clusterKill, formatFigures, partition, sentinelKill, type Figures, type LoadShape } from "./support/failover-harness.js";
import { namespacesAvailable } from "./support/netns.js";

const { values } = parseArgs({ options: { only: { type: "string" } } });
const wanted = (name: string) => values.only === undefined || values.only === name;

/**
 * 8 connections at 60 requests/s at most (24 logins/s), 8 s before the
 * fault and 20 s after it (long enough for Sentinel to take the restarted
 * node back as a replica, which durable logins wait for), 3,000 requests at most.
 */
const load: LoadShape = { connections: 8, ratePerSecond: 60, maxRequests: 3_000, beforeFaultMs: 8_000, afterFaultMs: 20_000 };
const restartAfterMs = 2_000;

const problems: string[] = [];
const report = (figures: Figures) => {
  console.log(formatFigures(figures));
  if (figures.appRestarted) problems.push(`${figures.scenario}: the app did not survive`);
  if (!Number.isFinite(figures.recoveryMs)) problems.push(`${figures.scenario}: never recovered`);
  if (figures.durable && (figures.ledger.lost.length > 0 || figures.ledger.resurrected.length > 0)) {
    problems.push(`${figures.scenario} with durability: ${figures.ledger.lost.length} lost, ${figures.ledger.resurrected.length} resurrected`);
  }
};

console.log(`failover: load ${JSON.stringify(load)}, killed node restarted ${restartAfterMs} ms after the failover`);
if (wanted("sentinel")) {
  for (const durable of [false, true]) report(await sentinelKill({ durable, load, restartAfterMs }));
  for (const durable of [false, true]) report(await sentinelKill({ durable, load, restartAfterMs, replicaCutOffMs: 800 }));
}
if (wanted("cluster")) {
  for (const durable of [false, true]) report(await clusterKill({ durable, load, restartAfterMs }));
}
if (wanted("partition")) {
  const unavailable = await namespacesAvailable();
  if (unavailable) problems.push(`partition: not run, ${unavailable}`);
  else report(await partition({ load: { ...load, afterFaultMs: 8_000 }, cutMs: 6_000 }));
}
for (const problem of problems) console.error(`FAILED ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
