/**
 * What events and telemetry cost when they are not configured: the
 * many-users benchmark of this build against another (the build before
 * them), in one process, the two builds' runs interleaved (A B B A A B ...)
 * so that the machine's drift falls on both alike. Each figure is a
 * session's CPU per request (the app's minus the no-session app's, same
 * round), the median over the runs of each build.
 *
 *   npx tsx bench/telemetry-off.ts --before <other build's dist/index.js> [--pairs 3] [--users 2000]
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as OursModule from "hattip-session";
import { describeEnvironment } from "./environment.js";
import { MEASURED_ROUTES, runManyUsers, type CpuSample, type MeasuredRoute } from "./many-users.js";
import type { Scenario } from "./scenarios.js";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    pairs: { type: "string", default: "3" },
    users: { type: "string", default: "2000" },
    out: { type: "string" },
  },
});
if (!values.before) throw new Error("--before <dist/index.js of the build to compare with> is required");

const SCENARIOS: readonly Scenario[] = ["baseline", "ours:signed", "ours:encrypted", "ours:memory", "ours:redis"];
const builds = {
  before: (await import(pathToFileURL(resolve(values.before)).href)) as typeof OursModule,
  after: (await import("hattip-session")) as typeof OursModule,
};
const environment = await describeEnvironment();
console.log(`telemetry off: ${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)}, Node ${environment.node}`);

/** Session µs per request, by build, scenario and route: one value per run. */
const costs = new Map<string, number[]>();
const key = (build: string, scenario: Scenario, route: MeasuredRoute) => `${build} ${scenario} ${route}`;

for (let pair = 0; pair < Number(values.pairs); pair++) {
  const order = pair % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
  for (const build of order) {
    const raw = await runManyUsers({ users: Number(values.users), rounds: 5, batch: 1000, scenarios: SCENARIOS, ours: builds[build] });
    for (const [scenario, route, micros] of sessionCosts(raw.samples)) {
      const list = costs.get(key(build, scenario, route)) ?? [];
      list.push(micros);
      costs.set(key(build, scenario, route), list);
    }
    console.log(`  pair ${pair + 1}: ${build} done`);
  }
}

const lines = ["| app | route | before (µs) | after (µs) | after / before |", "| --- | --- | --- | --- | --- |"];
for (const scenario of SCENARIOS.slice(1)) {
  for (const route of MEASURED_ROUTES) {
    const before = median(costs.get(key("before", scenario, route))!);
    const after = median(costs.get(key("after", scenario, route))!);
    lines.push(`| ${scenario} | ${route} | ${before.toFixed(1)} | ${after.toFixed(1)} | ${(after / before).toFixed(3)} |`);
  }
}
const table = lines.join("\n");
console.log(table);
if (values.out) {
  await writeFile(
    values.out,
    `Session CPU per request, median of ${values.pairs} runs per build, interleaved; ${values.users} users; ` +
      `${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)} at the start, Node ${environment.node}.\n\n${table}\n`,
  );
}

/** Each scenario's cost per route and round (minus the no-session app of that round), medians over the rounds. */
function sessionCosts(samples: CpuSample[]): [Scenario, MeasuredRoute, number][] {
  const baseline = new Map(
    samples.filter((sample) => sample.scenario === "baseline").map((sample) => [`${sample.route} ${sample.round}`, sample.cpuMicros]),
  );
  const byApp = new Map<string, number[]>();
  for (const sample of samples) {
    if (sample.scenario === "baseline") continue;
    const id = `${sample.scenario}|${sample.route}`;
    const list = byApp.get(id) ?? [];
    list.push(sample.cpuMicros - baseline.get(`${sample.route} ${sample.round}`)!);
    byApp.set(id, list);
  }
  return [...byApp].map(([id, list]) => {
    const [scenario, route] = id.split("|") as [Scenario, MeasuredRoute];
    return [scenario, route, median(list)];
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
