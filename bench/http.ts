/**
 * HTTP benchmark: each scenario's app runs in its own Node process on
 * 127.0.0.1 and autocannon drives it from this one, a read-only route and
 * a writing route in turn, with many users: each app first logs in
 * `users` visitors, and every request autocannon sends carries the next
 * user's cookie, round-robin. Redis scenarios also count the commands
 * each request costs, from INFO commandstats deltas.
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { startRedis } from "../packages/session/test/support/redis-server.js";
import { PLAIN_COOKIE } from "./fixtures.js";
import { FLOOR_SCENARIOS, SCENARIOS, writes, type Scenario } from "./scenarios.js";

export type Route = "read" | "write";

export interface HttpResult {
  scenario: Scenario;
  route: Route;
  /** Rounds interleave all scenarios; ratios are taken within a round. */
  round: number;
  requestsPerSecond: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  /** Responses autocannon counted. */
  requests: number;
  /** Requests the server answered during the measurement, including those in flight at the stop. */
  served: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /**
   * The server process's CPU (user + system) per request served, µs. A
   * server kept busy by autocannon is CPU-bound, so its req/s is the
   * inverse of this; unlike req/s, it hardly moves with other load on the machine.
   */
  serverCpuMicrosPerRequest: number;
  /** crypto.subtle.importKey calls in the server while it answered the measured requests, per request served. */
  keyImportsPerRequest: number;
  /** Redis scenarios only: commands the server sent per request served (INFO commandstats delta). */
  redisCommandsPerRequest?: number;
  redisCommands?: Record<string, number>;
}

export interface HttpOptions {
  /** Logged-in users per app, whose cookies the requests take in turn. */
  users: number;
  durationSeconds: number;
  /** Autocannon run before each measurement, not counted: this long in the first round, half as long after. */
  warmupSeconds: number;
  rounds: number;
  connections: number;
  scenarios?: readonly Scenario[];
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  serverNodeFlags?: string[];
  log?: (line: string) => void;
}

const SERVER_SCRIPT = fileURLToPath(new URL("./server.ts", import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;
const SETTLE_MS = 150;
// Commands the bench itself sends to read the counters, not the app.
const BENCH_COMMANDS = new Set(["info", "config", "ping", "hello", "client", "select", "command"]);

export async function runHttp(options: HttpOptions): Promise<HttpResult[]> {
  // The floor apps too (the cookie floors on /read): what the unavoidable parts of a session cost behind a real socket.
  const scenarios = options.scenarios ?? [...SCENARIOS, ...FLOOR_SCENARIOS];
  const log = options.log ?? (() => {});
  const needsRedis = scenarios.some((scenario) => scenario.endsWith(":redis"));
  const redis = needsRedis ? await startRedis() : null;
  const servers = new Map<Scenario, RunningServer & { cookies: string[] }>();
  const results: HttpResult[] = [];
  try {
    // All apps start up front and idle while the others are measured; the
    // rounds then interleave them, so a burst of load from other users of
    // the machine hits every scenario alike instead of one.
    for (const scenario of scenarios) {
      const server = await startServer(scenario, redis?.url, options.serverNodeFlags ?? []);
      servers.set(scenario, { ...server, cookies: await logIn(server.url, options.users) });
    }
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round} of ${options.rounds}`);
      // Each round starts one app further on, so no app is always measured first.
      const offset = (round - 1) % scenarios.length;
      for (const scenario of [...scenarios.slice(offset), ...scenarios.slice(0, offset)]) {
        const server = servers.get(scenario)!;
        // Routes swap order every round too: the first measurement after an app idled tends to read low.
        const routes: Route[] = !writes(scenario) ? ["read"] : round % 2 === 1 ? ["read", "write"] : ["write", "read"];
        for (const route of routes) {
          const url = `${server.url}/${route}`;
          const cookies = server.cookies;
          // Warm up before every measurement, not only the first: an app that idled while the
          // others ran answers its first second slower (V8 shrinks an idle heap), whichever route comes first.
          const warmup = round === 1 ? options.warmupSeconds : options.warmupSeconds / 2;
          if (warmup > 0) await load({ url, cookies, connections: options.connections, duration: warmup });
          if (redis) await redis.cli("CONFIG", "RESETSTAT");
          const before = await serverStats(server.url);
          const result = await load({ url, cookies, connections: options.connections, duration: options.durationSeconds });
          // Requests autocannon abandoned at the stop still finish on the server; let them.
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          const after = await serverStats(server.url);
          const served = after.answered - before.answered;
          const requests = result.requests.total;
          const entry: HttpResult = {
            scenario,
            route,
            round,
            requestsPerSecond: result.requests.average,
            latencyP99Ms: result.latency.p99,
            latencyMeanMs: result.latency.average,
            requests,
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            served,
            keyImportsPerRequest: served > 0 ? (after.keyImports - before.keyImports) / served : Number.NaN,
            serverCpuMicrosPerRequest: served > 0 ? (after.cpuMicros - before.cpuMicros) / served : Number.NaN,
          };
          if (redis && scenario.endsWith(":redis")) {
            const commands = appCommands(await redis.commandStats());
            const total = Object.values(commands).reduce((sum, calls) => sum + calls, 0);
            entry.redisCommands = commands;
            entry.redisCommandsPerRequest = served > 0 ? total / served : Number.NaN;
          }
          if (entry.non2xx > 0 || entry.errors > 0) {
            throw new Error(`${scenario} /${route}: ${entry.non2xx} non-2xx answers, ${entry.errors} errors`);
          }
          log(
            `  ${scenario.padEnd(18)} /${route.padEnd(5)} ${Math.round(entry.requestsPerSecond).toString().padStart(6)} req/s  p99 ${entry.latencyP99Ms} ms` +
              (entry.redisCommandsPerRequest === undefined ? "" : `  redis ${entry.redisCommandsPerRequest.toFixed(2)} cmd/req`),
          );
          results.push(entry);
        }
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await redis?.stop();
  }
  return results;
}

function appCommands(stats: Map<string, number>): Record<string, number> {
  const commands: Record<string, number> = {};
  for (const [name, calls] of stats) if (!BENCH_COMMANDS.has(name.split("|")[0]!)) commands[name] = calls;
  return commands;
}

/** Drives `url` for `duration` seconds, each request with the next cookie of `cookies`. */
function load({ cookies, ...options }: { url: string; cookies: string[]; connections: number; duration: number }) {
  let next = 0;
  const setupRequest = (request: { headers?: Record<string, string> }) => {
    request.headers = { ...request.headers, cookie: cookies[next++ % cookies.length]! };
    return request;
  };
  return autocannon({ ...options, timeout: 10, requests: [{ method: "GET", setupRequest } as never] });
}

/** Logs `count` fresh visitors in, a few at a time; the cookie each was given (a plain one from an app that sets none). */
async function logIn(baseUrl: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  const one = async () => {
    const response = await fetch(`${baseUrl}/login`, { signal: AbortSignal.timeout(10_000) });
    await response.text();
    if (!response.ok) throw new Error(`login answered ${response.status}`);
    const setCookie = response.headers.get("set-cookie");
    // The name=value pair, exactly as the server wrote it (already cookie-encoded).
    if (setCookie) cookies.push(setCookie.split(";")[0]!);
  };
  for (let started = 0; started < count; started += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - started) }, one));
  }
  return cookies.length > 0 ? cookies : [PLAIN_COOKIE];
}

async function serverStats(baseUrl: string): Promise<{ answered: number; keyImports: number; cpuMicros: number }> {
  const response = await fetch(`${baseUrl}/__bench/stats`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as { answered: number; keyImports: number; cpuMicros: number };
}

interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

async function startServer(scenario: Scenario, redisUrl: string | undefined, nodeFlags: string[]): Promise<RunningServer> {
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", SERVER_SCRIPT, scenario, ...(redisUrl ? [redisUrl] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("..", import.meta.url)),
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${scenario} server did not start in time: ${stderr}`)), STARTUP_TIMEOUT_MS);
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${scenario} server exited with ${code}: ${stderr}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
