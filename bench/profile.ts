/**
 * CPU profile of one app under load (default: ours with the signed-cookie
 * store), with the functions that take the most self time:
 *
 *   npx tsx bench/profile.ts [scenario] [seconds]
 *
 * The raw .cpuprofile lands in a temp folder (open it in Chrome DevTools).
 */
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHttp } from "./http.js";
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
const seconds = Number(process.argv[3] ?? 5);
const dir = await mkdtemp(join(tmpdir(), "hattip-session-profile-"));
await runHttp({
  scenarios: [scenario],
  durationSeconds: seconds,
  warmupSeconds: 1,
  rounds: 1,
  connections: 50,
  serverNodeFlags: ["--cpu-prof", "--cpu-prof-dir", dir],
  log: console.log,
});
// tsx's loader thread writes a profile too; the app's main thread is the biggest.
const files = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"));
const sizes = await Promise.all(files.map(async (name) => (await stat(join(dir, name))).size));
const file = files[sizes.indexOf(Math.max(...sizes))];
if (!file) throw new Error(`no profile written to ${dir}`);
const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile;

const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  total += micros;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*\/work\/main\//, "")}:${lineNumber + 1}` : "";
  const key = `${functionName || "(anonymous)"} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}
console.log(`profile: ${join(dir, file)} (${(total / 1e6).toFixed(1)} s sampled)`);
console.log("self time:");
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}

// Inclusive time of the package's own functions: how much of the process the session costs.
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
const inclusive = new Map<string, number>();
profile.samples.forEach((id, index) => {
  const counted = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const { functionName, url, lineNumber } = nodesById.get(at)!.callFrame;
    if (!url.includes("/packages/session/")) continue;
    const key = `${functionName || "(anonymous)"} ${url.replace(/^.*\/packages\/session\//, "")}:${lineNumber + 1}`;
    if (counted.has(key)) continue;
    counted.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
});
console.log("inclusive time, hattip-session functions:");
for (const [name, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
