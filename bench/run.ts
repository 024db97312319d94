/**
 * `npm run bench`: the many-users CPU benchmark (the headline), Redis
 * round trips, memory, bundle sizes, then the HTTP benchmark; writes
 * bench/RESULTS.md and bench/results.json.
 *
 *   npm run bench                          full run
 *   npm run bench -- --quick --out DIR     one short iteration of everything (the test smoke)
 *   npm run bench -- --label "<change>"    also record the many-users figures in bench/history.json
 *   npm run bench -- --only many-users     the in-process parts only (no HTTP)
 *   npm run bench -- --ours <dist/index.js> --commit <sha> --only many-users --label "<before>"
 *                                          bench another build of hattip-session (a before run)
 *   npm run bench -- --web-crypto ...      build our stores as on a runtime without node:crypto
 *   npm run bench -- capacity              the capacity plan only: bench/CAPACITY.md and capacity.json
 *   npm run bench -- capacity --quick      the same, shortest form
 *   npm run bench -- --render              RESULTS.md again from results.json and PROFILE.md (no measuring)
 *
 * Time, unattended, on a two-core machine: the full run about 15 minutes
 * (many users 2-3, KV in workerd 1, HTTP 8-10), capacity about 5.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureBundles } from "./bundle.js";
import { runCapacity, type CapacityOptions } from "./capacity.js";
import { renderCapacity } from "./capacity-report.js";
import { describeEnvironment } from "./environment.js";
import { readHistory, recordRun } from "./history.js";
import { runHttp, type HttpOptions } from "./http.js";
import { runLayer, type LayerOptions } from "./layer.js";
import { runManyUsersByStore, type ManyUsersOptions } from "./many-users.js";
import { measureMemory } from "./memory.js";
import { renderReport, type ReportInput } from "./report.js";
import { summarize } from "./summary.js";
import { runWorkersKv, type KvOptions, type KvResult } from "./workers-kv.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: fileURLToPath(new URL(".", import.meta.url)) },
    label: { type: "string" },
    only: { type: "string" },
    ours: { type: "string" },
    /** The commit a --ours build was made from, for the history (it may not be a git checkout). */
    commit: { type: "string" },
    "web-crypto": { type: "boolean", default: false },
    render: { type: "boolean", default: false },
  },
});
if (values.only !== undefined && values.only !== "many-users") throw new Error(`--only takes "many-users", not ${values.only}`);
if (positionals.length > 0 && (positionals.length > 1 || positionals[0] !== "capacity")) {
  throw new Error(`the one command is "capacity" (npm run bench -- capacity), not ${positionals.join(" ")}`);
}

// Many short rounds rather than a few long ones: on a shared machine, load moves within seconds, and
// interleaving finely lets every app meet it alike; the medians then hold.
const manyUsersOptions: Omit<ManyUsersOptions, "log" | "ours"> = values.quick
  ? { users: 50, rounds: 1, batch: 50 }
  : { users: 5000, rounds: 101, batch: 100 };
const layerOptions: Omit<LayerOptions, "log" | "oursPath"> = values.quick
  ? { users: 50, pairs: 3, batch: 20 }
  : { users: 3000, pairs: 150, batch: 100 };
const kvOptions: Omit<KvOptions, "log"> = values.quick ? { users: 10, rounds: 1, batch: 10 } : { users: 300, rounds: 41, batch: 150 };
const httpOptions: Omit<HttpOptions, "log"> = values.quick
  ? { users: 20, durationSeconds: 1, warmupSeconds: 0, rounds: 1, connections: 4 }
  : { users: 2000, durationSeconds: 2, warmupSeconds: 1, rounds: 5, connections: 50 };

const log = (line: string) => console.log(line);
if (values.render) {
  await render();
  process.exit(0);
}
if (positionals[0] === "capacity") {
  await capacity();
  process.exit(0);
}
const environment = await describeEnvironment();
log(`bench: ${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)}, Node ${environment.node}`);

log(`many users: ${manyUsersOptions.users} users, ${manyUsersOptions.rounds} rounds of ${manyUsersOptions.batch} requests per app and route`);
const manyUsers = await runManyUsersByStore({ ...manyUsersOptions, oursPath: values.ours, webCrypto: values["web-crypto"], log });
log(`session layer alone: ${layerOptions.users} users, ${layerOptions.pairs} pairs of ${layerOptions.batch} requests per store and route`);
// The layer's processes load a build by its path: a run on the Web Crypto path has none to give them.
const layer = values["web-crypto"] ? [] : await runLayer({ ...layerOptions, oursPath: values.ours, log });
log("memory and bundles");
const memory = values.ours ? null : await measureMemory(values.quick ? 1000 : 20_000);
const bundles = values.ours ? [] : await measureBundles();
let kv: KvResult | null = null;
if (values.only === undefined) {
  log(`kv: ${kvOptions.users} users per app in workerd`);
  kv = await runWorkersKv({ ...kvOptions, log });
}
let http: Awaited<ReturnType<typeof runHttp>> = [];
if (values.only === undefined) {
  log(`http: autocannon against each app, ${httpOptions.users} users each`);
  http = await runHttp({ ...httpOptions, log });
}

const summary = summarize({ manyUsers, http, memory, bundles, kv });
for (const target of summary.targets) log(`${target.met ? "met    " : "NOT MET"} ${target.name}: ${target.figures}`);

const commit = values.commit ?? commitOf(values.ours);
const history = values.label ? await recordRun(values.label, commit, summary.cpu) : await readHistory();
if (values.label) log(`recorded "${values.label}" (${commit.slice(0, 7)}) in bench/history.json`);

if (values.ours || values["web-crypto"]) {
  // A run of another build or path is a before/after entry, not the report of this build.
  log("not writing RESULTS.md for a run of another build or crypto path");
} else {
  const profileNotes = await readFile(new URL("./PROFILE.md", import.meta.url), "utf8").catch(() => "");
  await mkdir(values.out, { recursive: true });
  await writeFile(
    join(values.out, "results.json"),
    JSON.stringify(
      { environment, manyUsersOptions, kvOptions, httpOptions, summary, layer: { options: layerOptions, rows: layer }, raw: { manyUsers, http } },
      null,
      2,
    ) + "\n",
  );
  // The session cache's section (bench/session-cache.ts, npm run bench:cache) is kept as it stands.
  const previous = await readFile(join(values.out, "RESULTS.md"), "utf8").catch(() => "");
  const cacheSection = /<!-- session-cache:begin[\s\S]*<!-- session-cache:end -->/.exec(previous)?.[0];
  const report = renderReport({
    environment,
    summary,
    manyUsersOptions,
    layer: { options: layerOptions, rows: layer },
    httpOptions: values.only ? null : httpOptions,
    history,
    profileNotes,
  });
  await writeFile(join(values.out, "RESULTS.md"), cacheSection ? `${report.trimEnd()}\n\n${cacheSection}\n` : report);
  log(`wrote ${join(values.out, "RESULTS.md")} and results.json`);
}

/** RESULTS.md from the last run's results.json, with PROFILE.md as it is now. */
async function render(): Promise<void> {
  const saved = JSON.parse(await readFile(join(values.out, "results.json"), "utf8")) as Omit<ReportInput, "history" | "profileNotes">;
  const profileNotes = await readFile(new URL("./PROFILE.md", import.meta.url), "utf8").catch(() => "");
  await writeFile(join(values.out, "RESULTS.md"), renderReport({ ...saved, history: await readHistory(), profileNotes }));
  log(`wrote ${join(values.out, "RESULTS.md")} from results.json`);
}

/** The capacity plan: bench/CAPACITY.md and bench/capacity.json. */
async function capacity(): Promise<void> {
  const options: Omit<CapacityOptions, "log"> = values.quick
    ? { users: 100, edgeUsers: 5, countedRequests: 3, redisRequests: 2000, pgbenchSeconds: 1 }
    : { users: 5000, edgeUsers: 200, countedRequests: 50, redisRequests: 100_000, pgbenchSeconds: 5 };
  const result = await runCapacity({ ...options, log });
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, "capacity.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(values.out, "CAPACITY.md"), renderCapacity(result));
  log(`wrote ${join(values.out, "CAPACITY.md")} and capacity.json (${Math.round(result.seconds)} s)`);
}

function commitOf(path: string | undefined): string {
  const cwd = path ? resolve(path, "..", "..") : fileURLToPath(new URL("..", import.meta.url));
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
