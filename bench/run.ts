/**
 * `npm run bench`: micro benchmark, then the HTTP benchmark, then
 * bench/RESULTS.md and bench/results.json.
 *
 *   npm run bench                      full run (about 4 minutes on 2 cores)
 *   npm run bench -- --quick --out DIR one short iteration of everything (the test smoke)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeEnvironment } from "./environment.js";
import { runHttp, type HttpOptions } from "./http.js";
import { runMicro, type MicroOptions } from "./micro.js";
import { renderReport } from "./report.js";
import { summarize } from "./summary.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: fileURLToPath(new URL(".", import.meta.url)) },
  },
});

const microOptions: MicroOptions = values.quick ? { timeMs: 20, warmupMs: 5 } : { timeMs: 400, warmupMs: 100 };
const httpOptions: Omit<HttpOptions, "log"> = values.quick
  ? { durationSeconds: 1, warmupSeconds: 0, rounds: 1, connections: 4 }
  : { durationSeconds: 2, warmupSeconds: 1, rounds: 3, connections: 50 };

const log = (line: string) => console.log(line);
const environment = await describeEnvironment();
log(`bench: ${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)}, Node ${environment.node}`);
log("micro: load + save per cookie store");
const micro = await runMicro(microOptions);
for (const row of micro) {
  log(`  ${`${row.store} ${row.size} ${row.library}`.padEnd(36)} ${Math.round(row.opsPerSecond).toString().padStart(7)} ops/s`);
}
log("http: autocannon against each app");
const http = await runHttp({ ...httpOptions, log });
const summary = summarize(http, micro);
for (const target of summary.targets) log(`target ${target.met ? "met" : "NOT met"}: ${target.name}: ${target.figures}`);

const profileNotes = await readFile(new URL("./PROFILE.md", import.meta.url), "utf8").catch(() => "");
await mkdir(values.out, { recursive: true });
await writeFile(
  join(values.out, "results.json"),
  JSON.stringify({ environment, microOptions, httpOptions, summary, raw: { micro, http } }, null, 2) + "\n",
);
await writeFile(join(values.out, "RESULTS.md"), renderReport({ environment, summary, httpOptions, microOptions, profileNotes }));
log(`wrote ${join(values.out, "RESULTS.md")} and results.json`);
