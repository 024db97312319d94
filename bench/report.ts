/** bench/RESULTS.md, written from the summary so the prose never drifts from the numbers. */
import type { Environment } from "./environment.js";
import type { HistoryEntry } from "./history.js";
import type { HttpOptions } from "./http.js";
import type { LayerOptions, LayerRow } from "./layer.js";
import type { ManyUsersOptions } from "./many-users.js";
import { LIBRARY_NAMES, libraryOf, STORES, storeOf, type Scenario } from "./scenarios.js";
import type { CpuRow, Summary } from "./summary.js";

export interface ReportInput {
  environment: Environment;
  summary: Summary;
  manyUsersOptions: Pick<ManyUsersOptions, "users" | "rounds" | "batch">;
  /** The session layer alone (bench/layer.ts); absent from a results.json written before it existed. */
  layer?: { options: Pick<LayerOptions, "users" | "pairs" | "batch">; rows: LayerRow[] } | undefined;
  httpOptions: Pick<HttpOptions, "users" | "durationSeconds" | "warmupSeconds" | "rounds" | "connections"> | null;
  history: readonly HistoryEntry[];
  /** Hand-written notes on the profile, kept in bench/PROFILE.md. */
  profileNotes: string;
}

const fixed = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : value === Number.POSITIVE_INFINITY ? "∞" : value.toFixed(digits);
const times = (value: number | null | undefined) => (value === null || value === undefined ? "–" : `${fixed(value, 2)}×`);

export function renderReport(input: ReportInput): string {
  const { environment, summary } = input;
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); raw numbers in `bench/results.json`. Targets are ratios taken side by side in one run, never absolute times.",
    "",
    "## Machine",
    "",
    `- Date: ${environment.date}`,
    `- CPUs (nproc): ${environment.cpus}, ${environment.cpuModel}`,
    `- Load average (1 min) when the run started: ${environment.loadAverage1mAtStart.toFixed(2)}: the machine is shared with other engineers' test runs, so single figures are noisy; medians over interleaved rounds and ratios within one run hold up better.`,
    `- Node ${environment.node}`,
    `- Packages: ${Object.entries(environment.packages)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}`,
    "",
    "## Targets",
    "",
    "| Measure | Target | Met | Figures |",
    "| --- | --- | --- | --- |",
    ...summary.targets.map((target) => `| ${target.name} | ${target.goal} | ${target.met ? "Met" : "**Not met**"} | ${target.figures} |`),
    "",
    ...manyUsersSection(input),
    ...layerSection(input.layer),
    ...floorSection(summary),
    ...kvSection(summary),
    ...redisSection(summary),
    ...httpSection(input),
    ...historySection(input.history),
    ...bundleSection(summary),
    ...memorySection(summary),
    input.profileNotes.trim(),
    "",
  );
  return lines.join("\n");
}

function manyUsersSection({ summary, manyUsersOptions }: ReportInput): string[] {
  const row = (scenario: Scenario, route: CpuRow["route"]) => summary.cpu.find((entry) => entry.scenario === scenario && entry.route === route);
  const scenarios = [...new Set(summary.cpu.map((entry) => entry.scenario))];
  const ordered = [
    ...scenarios.filter((scenario) => libraryOf(scenario) === null && storeOf(scenario) === null),
    ...STORES.flatMap((store) => scenarios.filter((scenario) => storeOf(scenario) === store)),
  ];
  return [
    "## Many users: session CPU per request (the headline)",
    "",
    "Each store's apps run in a Node process of their own, as a server runs one store: the no-session app, ours and @hattip/session's (with the floor app for the signed, encrypted and Redis stores, and iron-session for the encrypted one); `cookie-only` shares one with the no-session app. " +
      `Each app runs behind @hattip/compose, fed Fetch \`Request\`s as an adapter would (no sockets). ${manyUsersOptions.users} users log in first (\`/login\`, a fresh visitor each, which regenerates where the library can); ` +
      `each measurement then sends ${manyUsersOptions.batch} requests round-robin over them, each user's cookie updated from the last Set-Cookie, as a browser does; \`/read\` and \`/write\` take the users in one turn, so with these figures each user's requests alternate between reading and writing. ` +
      `CPU is \`process.cpuUsage\` (user + system) over the batch; a young-generation garbage collection costs a few milliseconds and falls in a minority of the batches, whichever app is running, so the median over rounds leaves those batches out: these figures are each app's own work, and the HTTP figures below count every collection. ${manyUsersOptions.rounds} rounds interleave the apps of a process, each round starting one app further on and reversing the route order. ` +
      "**Session** is the app's CPU per request minus the no-session app's in the same round of the same process (median over rounds); `cookie-only` is the app with only `@hattip/cookie`, which every library here needs. " +
      "`/read` reads the typical ~200-byte session, `/write` increments a counter in it; **replayed** sends one user's cookie every time (what a cache of verified cookies would see; secondary).",
    "",
    "| App | /read app µs | /read session µs | /write app µs | /write session µs | replayed /read session µs | ours × cheaper than @hattip/session (read / write) | ours × cheaper than iron-session (read / write) | cookie bytes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...ordered.map((scenario) => {
      const read = row(scenario, "read");
      const write = row(scenario, "write");
      const replay = row(scenario, "replay");
      const ours = libraryOf(scenario) === "ours";
      return `| ${scenario} | ${fixed(read?.appMicros)} | ${fixed(read?.sessionMicros)} | ${fixed(write?.appMicros)} | ${fixed(write?.sessionMicros)} | ${fixed(replay?.sessionMicros)} | ${
        ours ? `${times(read?.timesCheaperThanHattip)} / ${times(write?.timesCheaperThanHattip)}` : ""
      } | ${ours && storeOf(scenario) === "encrypted" ? `${times(read?.timesCheaperThanIron)} / ${times(write?.timesCheaperThanIron)}` : ""} | ${summary.cookieBytes[scenario] ?? "–"} |`;
    }),
    "",
    `Libraries: ${Object.values(LIBRARY_NAMES).join("; ")}. Each loads the same key bytes the way its README says, and each is given the same cookie options: a production session cookie's attributes (HttpOnly, Secure, SameSite=Lax, Path=/; ours' defaults, which @hattip/session leaves to the app), so every library's Set-Cookie line carries them (bench/fixtures.ts \`BENCH_COOKIE_OPTIONS\`); iron-session runs through the smallest Hattip middleware around its \`unsealData\`/\`sealData\` (bench/apps.ts).`,
    "",
  ];
}

function layerSection(layer: ReportInput["layer"]): string[] {
  if (!layer || layer.rows.length === 0) return [];
  const { users, pairs, batch } = layer.options;
  return [
    "## The session layer alone",
    "",
    "Each library's middleware behind @hattip/cookie through @hattip/compose, called with a bare request context: no Fetch `Request`, no adapter, no socket (bench/layer.ts), each store in a Node process of its own. " +
      `${users} users log in; then, for each route, ${pairs} pairs of batches of ${batch} requests, ours and @hattip/session one after the other (each first in every other pair), round-robin over the users, each cookie updated from the last answer. Reads and writes take turns batch by batch and swap on each pass over the users, so each user's requests alternate between reading and writing, as in the headline. ` +
      "CPU is `process.cpuUsage` per request, median over the batches; the saving is the median over the pairs of (theirs − ours). " +
      "What the whole apps above spend alike (building `Request`s and `Response`s, reading bodies) is left out, so differences under a microsecond show here; " +
      "server stores with I/O are left out, their cost being the round trip's.",
    "",
    "| Store | Route | ours µs | @hattip/session µs | ours × cheaper | ours saves, µs per request (paired) |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
    ...layer.rows.map(
      (row) =>
        `| ${row.store} | /${row.route} | ${fixed(row.oursMicros, 2)} | ${fixed(row.theirsMicros, 2)} | ${times(row.theirsMicros / row.oursMicros)} | ${fixed(row.pairedSavingMicros, 2)} |`,
    ),
    "",
  ];
}

function floorSection(summary: Summary): string[] {
  return [...cookieFloorSection(summary), ...redisFloorSection(summary)];
}

function cookieFloorSection(summary: Summary): string[] {
  const floor = summary.floor.filter((row) => row.kind !== "redis");
  if (floor.length === 0) return [];
  return [
    "## The floor of a cookie read",
    "",
    "The unavoidable parts of a signed and of an encrypted read, timed alone in the same run as an app of the many-users benchmark (bench/floor.ts), on the very cookies our stores write: " +
      "parse the Cookie header (the `cookie` package @hattip/cookie uses), decode the base64url value, one native HMAC-SHA-256 verify (constant-time compare) or one AES-256-GCM open, `JSON.parse` of the session data. " +
      "No middleware, no expiry or metadata checks, no change detection. Session CPU per request (app minus the no-session app, median over rounds), read route, many users.",
    "",
    "| Read | floor µs | ours µs | ours as a multiple of the floor |",
    "| --- | ---: | ---: | ---: |",
    ...floor.map((row) => `| ${row.kind} | ${fixed(row.floorMicros)} | ${fixed(row.oursMicros)} | ${fixed(row.multiple, 2)}× |`),
    "",
  ];
}

function redisFloorSection(summary: Summary): string[] {
  const floor = summary.floor.filter((row) => row.kind === "redis");
  if (floor.length === 0) return [];
  return [
    "## The floor of a Redis session",
    "",
    "The plainest session a server can keep in Redis, timed in the same process and rounds as ours and @hattip/session's Redis apps, on the same client and server (bench/floor.ts): " +
      "the cookie holds the key's name itself, a read is the Cookie header's parse, one GET and `JSON.parse`; a write adds `JSON.stringify`, one SET with the TTL and the Set-Cookie line. " +
      "No hash of the ID, no deadline on a command, no record format, no guard against a logout landing between the GET and the SET. " +
      "Requests run one at a time, so every command is a socket write of its own and a wait for the answer, paid alike by every app. " +
      "Session CPU per request (app minus the no-session app, median over rounds); the last column is what ours would have to cost to be 1.2× cheaper than @hattip/session (the target), next to the floor.",
    "",
    "| Route | floor µs | ours µs | @hattip/session µs | ours above the floor, µs | @hattip/session above the floor, µs | 1.2× cheaper than @hattip/session, µs |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...floor.map((row) => {
      const theirs = row.theirsMicros;
      const cells = theirs === null ? ["–", "–", "–"] : [fixed(theirs), fixed(theirs - row.floorMicros), fixed(theirs / 1.2)];
      return `| /${row.route} | ${fixed(row.floorMicros)} | ${fixed(row.oursMicros)} | ${cells[0]} | ${fixed(row.oursMicros - row.floorMicros)} | ${cells[1]} | ${cells[2]} |`;
    }),
    "",
  ];
}

function kvSection({ kv }: Summary): string[] {
  if (!kv) return [];
  return [
    "## Workers KV in workerd",
    "",
    `KvSessionStore against @hattip/session's KvSessionStore, both in one Worker (bench/workers-kv-worker.ts) served by workerd through Miniflare with a real local KV namespace. ` +
      `${kv.options.users} users log in to each app; ${kv.options.rounds} interleaved rounds of ${kv.options.batch} sequential requests per app and route, round-robin over the users, each cookie updated from the last answer. ` +
      "CPU is workerd's own (every thread's run time, /proc schedstat) per request; session CPU is the app's minus the no-session app's in the same round, median over rounds. " +
      "Local KV runs inside workerd, so each KV call's own cost is in these figures: ours writes a session after reading it again (KV has no conditional write, and a logout must win), one KV call more than @hattip/session's write.",
    "",
    "| App | Route | workerd µs/request | session µs | ours × cheaper than @hattip/session |",
    "| --- | --- | ---: | ---: | ---: |",
    ...kv.rows.map(
      (row) =>
        `| ${row.app} | /${row.route} | ${fixed(row.appMicros)} | ${fixed(row.sessionMicros)} | ${row.app === "ours" ? times(row.timesCheaperThanHattip) : ""} |`,
    ),
    "",
  ];
}

function redisSection({ redis }: Summary): string[] {
  if (redis.length === 0) return [];
  return [
    "## Redis: commands and round trips per request",
    "",
    "Counted by wrapping the client both libraries use (bench/round-trips.ts), one request at a time: a round trip starts when a command goes out while none awaits its reply; commands sent meanwhile (pipelined) ride along. `login` is a fresh visitor logging in; `relogin` a logged-in user logging in again (`regenerate()` on a live session: load, kill the old ID, store the new one); `read` and `write` are logged-in users.",
    "",
    "| App | Route | commands | round trips | requests counted |",
    "| --- | --- | ---: | ---: | ---: |",
    ...redis.map(
      (cost) =>
        `| ${cost.scenario} | ${cost.route} | ${fixed(cost.commandsPerRequest, 2)} | ${fixed(cost.roundTripsPerRequest, 2)} | ${cost.requests} |`,
    ),
    "",
  ];
}

function httpSection({ summary, httpOptions }: ReportInput): string[] {
  if (!httpOptions || summary.http.length === 0) return [];
  return [
    "## HTTP (autocannon), many users",
    "",
    `Each app runs in its own Node process (@hattip/adapter-node, 127.0.0.1) with ${httpOptions.users} logged-in users; autocannon drives it from the bench process with ${httpOptions.connections} connections, every request carrying the next user's cookie, ` +
      `${httpOptions.durationSeconds} s per measurement after a warm-up (${httpOptions.warmupSeconds} s in the first round, half that later), in ${httpOptions.rounds} rounds that interleave every app. ` +
      "Req/s, p99 and the server's CPU per request are medians over rounds; ratios are medians over rounds of the ratio within each round. " +
      "The server is CPU-bound under autocannon, so its CPU per request sets the req/s it can reach; that ratio is the one judged, because measured req/s on a shared machine move with everything else running. " +
      "Most of an HTTP request here is Node's HTTP server and the Hattip adapter, the same for every app.",
    "",
    "| App | Route | req/s | p99 ms | req/s / no-session app | server CPU µs/request | no-session app CPU / this app's |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...summary.http.map(
      (row) =>
        `| ${row.scenario} | /${row.route} | ${Math.round(row.medianRequestsPerSecond)} | ${fixed(row.medianLatencyP99Ms, 0)} | ${fixed(row.ratioToBaseline, 2)} | ${fixed(row.medianServerCpuMicros)} | ${fixed(row.cpuRatioToBaseline, 2)} |`,
    ),
    "",
  ];
}

function historySection(history: readonly HistoryEntry[]): string[] {
  if (history.length === 0) return [];
  const columns = [
    "signed read",
    "signed write",
    "encrypted read",
    "encrypted write",
    "unsigned read",
    "unsigned write",
    "memory read",
    "memory write",
    "redis read",
    "redis write",
  ];
  return [
    "## Before and after each change",
    "",
    'Ours only, from the many-users benchmark of each recorded run (bench/history.json; `npm run bench -- --label "..."` records one). Each cell: session CPU per request in µs, and in brackets how many times cheaper than @hattip/session in that same run. ' +
      "Absolute µs move with the machine's load from run to run; the bracketed ratio is the comparable figure.",
    "",
    `| Change | Commit | ${columns.join(" | ")} |`,
    `| --- | --- | ${columns.map(() => "---:").join(" | ")} |`,
    ...history.map(
      (entry) =>
        `| ${entry.label} | ${entry.commit.slice(0, 7)} | ${columns
          .map((column) => {
            const cell = entry.ours[column];
            return cell ? `${fixed(cell.sessionMicros)} (${times(cell.timesCheaperThanHattip)})` : "–";
          })
          .join(" | ")} |`,
    ),
    "",
  ];
}

function bundleSection({ bundles }: Summary): string[] {
  if (bundles.length === 0) return [];
  return [
    "## Bundle size",
    "",
    "esbuild, minified ESM for the neutral platform (as edge runtimes take it), from the built package; gzip level 9. `sideEffects: false` lets a bundler drop every store the app does not import; the check looks for property names only the server-side stores use.",
    "",
    "| Bundle | Imports | minified | gzipped | server-side store code |",
    "| --- | --- | ---: | ---: | --- |",
    ...bundles.map(
      (bundle) =>
        `| ${bundle.name} | ${bundle.imports} | ${(bundle.minifiedBytes / 1024).toFixed(1)} KiB | ${(bundle.gzippedBytes / 1024).toFixed(1)} KiB | ${bundle.serverStoreCode.length ? bundle.serverStoreCode.join(", ") : "none"} |`,
    ),
    "",
  ];
}

function memorySection({ memory }: Summary): string[] {
  if (!memory) return [];
  return [
    "## Memory",
    "",
    `Heap bytes per session held by each memory store, with ${memory.sessions} typical sessions saved (garbage collected before and after): ours ${Math.round(memory.bytesPerSession.ours)} B, @hattip/session ${Math.round(memory.bytesPerSession.theirs)} B.`,
    "",
    "Caches the package keeps per process (bounds read from the source):",
    "",
    ...memory.caches.map((cache) => `- ${cache.name}: ${cache.bound}.`),
    "",
  ];
}
