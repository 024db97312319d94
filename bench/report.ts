/** bench/RESULTS.md, written from the summary so the prose never drifts from the numbers. */
import type { Environment } from "./environment.js";
import type { HttpOptions } from "./http.js";
import type { MicroOptions } from "./micro.js";
import type { Summary } from "./summary.js";

export interface ReportInput {
  environment: Environment;
  summary: Summary;
  httpOptions: Pick<HttpOptions, "durationSeconds" | "warmupSeconds" | "rounds" | "connections">;
  microOptions: MicroOptions;
  /** Hand-written notes on the profile, kept in bench/PROFILE.md. */
  profileNotes: string;
}

const fixed = (value: number | null, digits = 2) => (value === null || Number.isNaN(value) ? "–" : value.toFixed(digits));

export function renderReport({ environment, summary, httpOptions, microOptions, profileNotes }: ReportInput): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); raw numbers in `bench/results.json`.",
    "",
    "## Machine",
    "",
    `- Date: ${environment.date}`,
    `- CPUs (nproc): ${environment.cpus}, ${environment.cpuModel}`,
    `- Load average (1 min) when the run started: ${environment.loadAverage1mAtStart.toFixed(2)} — the machine is shared with other engineers' test runs, so every figure is noisy.`,
    `- Node ${environment.node}`,
    `- Packages: ${Object.entries(environment.packages).map(([name, version]) => `${name} ${version}`).join(", ")}`,
    "",
    "## Targets",
    "",
    "| Target | Met | Figures |",
    "| --- | --- | --- |",
    ...summary.targets.map((target) => `| ${target.name} | ${target.met ? "yes" : "**no**"} | ${target.figures} |`),
    "",
    "## HTTP",
    "",
    `Each app runs in its own Node process (@hattip/adapter-node, 127.0.0.1); autocannon drives it from the bench process with ${httpOptions.connections} connections, ` +
      `${httpOptions.durationSeconds} s per measurement after a warm-up (${httpOptions.warmupSeconds} s in the first round, half that later), in ${httpOptions.rounds} rounds that interleave every app, each round starting one app further on and swapping the order of the two routes. ` +
      "Per-request counts (Redis commands, key imports) divide by the requests the server answered, in-flight ones included. " +
      "Req/s and p99 are medians over rounds; ratios are medians over rounds of the ratio taken within each round. " +
      "`/read` reads `ctx.session.data` of a logged-in session (about 200 bytes of data); `/write` increments a counter in it. " +
      "`theirs` is @hattip/session 0.0.49 with the same store kind and keys; its RedisSessionStore takes a node-redis v3 callback client, so it runs through a small adapter over the same node-redis v6 client (bench/legacy-redis.ts), one command per command.",
    "",
    "| App | Route | req/s | p99 ms | ours / baseline | ours / @hattip/session |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
    ...summary.http.map(
      (row) =>
        `| ${row.scenario} | /${row.route} | ${Math.round(row.medianRequestsPerSecond)} | ${fixed(row.medianLatencyP99Ms, 0)} | ${fixed(row.ratioToBaseline)} | ${fixed(row.ratioToHattipSession)} |`,
    ),
    "",
    "## Micro: one load + one save",
    "",
    `tinybench, ${microOptions.timeMs} ms per task after ${microOptions.warmupMs} ms warm-up, in one process. Ours calls loadRecord/saveRecord as the middleware does; @hattip/session calls load/save; iron-session unsealData/sealData (it derives keys from a password per call by design).`,
    "",
    "| Store | Session | Library | ops/s | µs per load+save | cookie bytes | ours / @hattip/session |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ...summary.micro.map(
      (row) =>
        `| ${row.store} | ${row.size} | ${row.library} | ${Math.round(row.opsPerSecond)} | ${fixed(row.meanMicroseconds, 1)} | ${row.cookieBytes} | ${fixed(row.ratioToHattipSession)} |`,
    ),
    "",
    profileNotes.trim(),
    "",
  );
  return lines.join("\n");
}
