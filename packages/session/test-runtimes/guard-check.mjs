/**
 * Proves the runtime suite would catch the package leaning on Node: runs it
 * on copies of the build doctored with a `node:` import and with a Buffer,
 * and expects workerd and edge-runtime to refuse both. Without this, a
 * runtime quietly gaining Node compatibility would make the guard vacuous.
 */
import { appendFile, cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bundleSuite, distEntry } from "./bundle.mjs";
import { edgeRuntime, workerd } from "./runners/index.mjs";
import { runOne, succeeded } from "./runners/run-one.mjs";

const slips = {
  "a node: import": '\nimport { randomBytes as nodeRandomBytes } from "node:crypto";\nexport const slipped = () => nodeRandomBytes(1);\nslipped();\n',
  "a Buffer": '\nexport const slipped = () => Buffer.from("slipped").length;\nslipped();\n',
};

const workDir = await mkdtemp(join(tmpdir(), "hattip-session-guard-"));
let caught = true;
try {
  for (const [slip, code] of Object.entries(slips)) {
    const doctoredDist = join(workDir, slip.replace(/\W+/g, "-"), "dist");
    await cp(dirname(distEntry), doctoredDist, { recursive: true });
    await appendFile(join(doctoredDist, "index.js"), code);
    const bundles = await bundleSuite(join(doctoredDist, ".."), join(doctoredDist, "index.js"));
    for (const runtime of [workerd, edgeRuntime]) {
      const result = await runOne(runtime, bundles);
      const refused = !succeeded(result);
      caught &&= refused;
      const reason = refused ? `: ${result.problems[0].split("\n")[0].slice(0, 100)}` : "";
      console.log(`guard: ${runtime.name} ${refused ? "refuses" : "DOES NOT refuse"} a build with ${slip}${reason}`);
    }
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
process.exitCode = caught ? 0 : 1;
