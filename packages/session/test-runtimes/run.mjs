/**
 * `npm run test:runtimes`: bundles the runtime-neutral suite and runs it in
 * Node, workerd, Vercel's edge-runtime, Deno and Bun; then the stores whose
 * backend is a server (Redis, PostgreSQL, Netlify Blobs) in Node, Deno and Bun.
 * One line per runtime; exits non-zero if any test fails or any runtime
 * cannot run the suite.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleSuite, distEntry } from "./bundle.mjs";
import { runtimes } from "./runners/index.mjs";
import { runOne, succeeded } from "./runners/run-one.mjs";
import { runServiceStores } from "./runners/services.mjs";

const outDir = await mkdtemp(join(tmpdir(), "hattip-session-runtimes-"));
let results;
try {
  const bundles = await bundleSuite(outDir, distEntry);
  // Side by side: the suite mostly waits on timers (expiry), so this costs little CPU.
  const [core, servers] = await Promise.all([Promise.all(runtimes.map((runtime) => runOne(runtime, bundles))), runServiceStores()]);
  results = [...core, ...servers];
} finally {
  await rm(outDir, { recursive: true, force: true });
}

console.log("Runtimes under test:");
for (const result of results) {
  const extraStores = result.environment?.platformStores;
  const stores = extraStores ? `; platform stores: ${extraStores}` : "";
  console.log(`  ${result.name.padEnd(13)}${result.version}${stores}${result.seconds ? ` (suite ran in ${result.seconds} s)` : ""}`);
}
for (const result of results) {
  console.log(`${result.name}: ${result.passed} passed, ${result.failed} failed`);
  for (const problem of result.problems) console.log(`    ${problem}`);
}
process.exitCode = results.every(succeeded) ? 0 : 1;
