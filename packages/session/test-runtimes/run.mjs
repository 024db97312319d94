/**
 * `npm run test:runtimes`: bundles the runtime-neutral suite and runs it in
 * Node, workerd, Vercel's edge-runtime, Deno and Bun. One line per runtime;
 * exits non-zero if any test fails or any runtime cannot run the suite.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleSuite } from "./bundle.mjs";
import { bun } from "./runners/bun.mjs";
import { deno } from "./runners/deno.mjs";
import { edgeRuntime } from "./runners/edge-runtime.mjs";
import { node } from "./runners/node.mjs";
import { workerd } from "./runners/workerd.mjs";

const RUNTIME_TIMEOUT_MS = 60_000;

/** Runtimes that must lack Node's globals, or they would not catch the package relying on them. */
const WITHOUT_NODE_GLOBALS = new Set(["workerd", "edge-runtime"]);

const runtimes = [node, workerd, edgeRuntime, deno, bun];

function withTimeout(work, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function runOne(runtime, bundles) {
  try {
    const version = await runtime.version();
    const started = performance.now();
    const report = await withTimeout(runtime.run(bundles, RUNTIME_TIMEOUT_MS), RUNTIME_TIMEOUT_MS, runtime.name);
    const problems = report.outcomes.filter((outcome) => !outcome.ok).map((outcome) => `${outcome.name}\n      ${outcome.error}`);
    if (WITHOUT_NODE_GLOBALS.has(runtime.name) && report.environment.Buffer !== "absent") {
      problems.push("Buffer is defined here, so a Buffer in the package would go unnoticed");
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return { name: runtime.name, version, seconds, passed: report.passed, failed: report.failed, problems, environment: report.environment };
  } catch (error) {
    return { name: runtime.name, version: "?", passed: 0, failed: 0, problems: [`could not run the suite: ${error?.message ?? error}`] };
  }
}

const outDir = await mkdtemp(join(tmpdir(), "hattip-session-runtimes-"));
let results;
try {
  const bundles = await bundleSuite(outDir);
  // Side by side: the suite mostly waits on timers (expiry), so this costs little CPU.
  results = await Promise.all(runtimes.map((runtime) => runOne(runtime, bundles)));
} finally {
  await rm(outDir, { recursive: true, force: true });
}

console.log("Runtimes under test:");
for (const result of results) {
  console.log(`  ${result.name.padEnd(13)}${result.version}${result.seconds ? ` (suite ran in ${result.seconds} s)` : ""}`);
}
for (const result of results) {
  console.log(`${result.name}: ${result.passed} passed, ${result.failed} failed`);
  for (const problem of result.problems) console.log(`    ${problem}`);
}
process.exitCode = results.every((result) => result.problems.length === 0 && result.passed > 0) ? 0 : 1;
