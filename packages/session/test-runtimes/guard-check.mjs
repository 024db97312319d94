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

/** Each slip, and what the runtime's refusal must mention: failing for some other reason proves nothing. */
const slips = {
  "a node: import": {
    code: '\nimport { randomBytes as nodeRandomBytes } from "node:crypto";\nexport const slipped = () => nodeRandomBytes(1);\nslipped();\n',
    cause: /node:crypto/,
  },
  "a Buffer": {
    code: '\nexport const slipped = () => Buffer.from("slipped").length;\nslipped();\n',
    cause: /Buffer is not defined/,
  },
};

const workDir = await mkdtemp(join(tmpdir(), "hattip-session-guard-"));
let caught = true;
try {
  const checks = Object.entries(slips).map(async ([slip, { code, cause }]) => {
    const doctoredDist = join(workDir, slip.replace(/\W+/g, "-"), "dist");
    await cp(dirname(distEntry), doctoredDist, { recursive: true });
    await appendFile(join(doctoredDist, "index.js"), code);
    const bundles = await bundleSuite(join(doctoredDist, ".."), join(doctoredDist, "index.js"));
    return Promise.all(
      [workerd, edgeRuntime].map(async (runtime) => ({ slip, cause, runtime: runtime.name, result: await runOne(runtime, bundles) })),
    );
  });
  for (const { slip, cause, runtime, result } of (await Promise.all(checks)).flat()) {
    const refused = !succeeded(result) && result.problems.some((problem) => cause.test(problem));
    caught &&= refused;
    const reason = !succeeded(result) ? ` (${result.problems[0].split("\n")[0].replace("could not run the suite: ", "")})` : "";
    console.log(`guard: ${runtime} ${refused ? "refuses" : "DOES NOT refuse"} a build with ${slip}${reason}`);
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
process.exitCode = caught ? 0 : 1;
