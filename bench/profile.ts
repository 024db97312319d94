/**
 * CPU profile of one app on one route of the many-users benchmark, in this
 * process through the inspector, with the functions that take the most
 * self time and the package's inclusive time:
 *
 *   npx tsx bench/profile.ts [scenario] [route] [requests]
 *   npx tsx bench/profile.ts ours:signed write 20000
 *
 * The raw .cpuprofile lands in a temp folder (open it in Chrome DevTools).
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runManyUsers, type MeasuredRoute } from "./many-users.js";
import type { Scenario } from "./scenarios.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const scenario = (process.argv[2] ?? "ours:signed") as Scenario;
const route = (process.argv[3] ?? "read") as MeasuredRoute;
const requests = Number(process.argv[4] ?? 20_000);

const inspector = new Session();
inspector.connect();
await inspector.post("Profiler.enable");
await inspector.post("Profiler.setSamplingInterval", { interval: Number(process.env.PROFILE_INTERVAL ?? 100) });
let profile: CpuProfile | undefined;
await runManyUsers({
  scenarios: [scenario],
  users: 5000,
  rounds: 1,
  batch: requests,
  routes: [route],
  log: console.log,
  // Only the measured batch is profiled: log-ins and warm-up run before.
  beforeMeasuring: () => inspector.post("Profiler.start"),
  afterMeasuring: async () => {
    profile = ((await inspector.post("Profiler.stop")) as { profile: CpuProfile }).profile;
  },
});
inspector.disconnect();
if (!profile) throw new Error("no profile taken");
const file = join(tmpdir(), `hattip-session-${scenario.replace(":", "-")}-${route}-${Date.now()}.cpuprofile`);
await writeFile(file, JSON.stringify(profile));

const shorten = (url: string) => url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(packages|bench)\//, "$1/");
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile!.timeDeltas[index] ?? 0));
});
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  total += micros;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || "(anonymous)"} ${url ? `${shorten(url)}:${lineNumber + 1}` : ""}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}
console.log(`profile: ${file} (${(total / 1e6).toFixed(2)} s sampled, ${requests} requests: ${(total / requests).toFixed(1)} µs each)`);
console.log("self time:");
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / requests).toFixed(2).padStart(6)} µs/req  ${name}`);
}

// Inclusive time of the package's own functions: where the session's cost goes.
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
const inclusive = new Map<string, number>();
profile.samples.forEach((id, index) => {
  const counted = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const { functionName, url, lineNumber } = nodesById.get(at)!.callFrame;
    if (!url.includes("/packages/session/") && !url.includes("@hattip/")) continue;
    const key = `${functionName || "(anonymous)"} ${shorten(url)}:${lineNumber + 1}`;
    if (counted.has(key)) continue;
    counted.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + (profile!.timeDeltas[index] ?? 0));
  }
});
console.log("inclusive time, hattip-session and @hattip functions:");
for (const [name, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / requests).toFixed(2).padStart(6)} µs/req  ${name}`);
}
