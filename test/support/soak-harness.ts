/**
 * What the soak script and the fault and load tests share: the node-redis
 * template running as a user runs it (its own Node process, a real
 * redis-server on a free port), autocannon driving it with a mix that
 * creates and reads sessions, RSS sampled from /proc, and a check that
 * every session the server acknowledged can still be loaded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { createClient } from "redis";
import { RedisSessionStore } from "hattip-session";
import type { RequestContext } from "@hattip/compose";
import { startRedis, type RedisServer } from "../../packages/session/test/support/redis-server.js";

const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/node-redis", import.meta.url));
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
/** The text the template's /profile leaves in an anonymous session: what we expect to read back. */
/** What the profile page shows a signed-in demo user. */
export const SIGNED_IN_AS = ">demo<";

export interface TemplateServer {
  url: string;
  pid: number;
  isAlive(): boolean;
  output(): string;
  stop(): Promise<void>;
}

export interface Stack {
  redis: RedisServer;
  server: TemplateServer;
  stop(): Promise<void>;
}

/** A redis-server with every write fsynced to its append-only file, and the template's server on it. */
export async function startStack(): Promise<Stack> {
  const redis = await startRedis({ appendonly: true });
  try {
    const server = await startTemplateServer({ REDIS_URL: redis.url });
    return {
      redis,
      server,
      async stop() {
        await server.stop();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/** `wrap` prefixes the command, e.g. `ip netns exec <name>` to run the server in a network namespace. */
/** What a deploy of the Redis app must set (its store's user tag key, 32 characters or more); the checks below read with the same. */
const TAG_SECRET = "soak-and-failover-tag-secret-0123456789";

export async function startTemplateServer(env: Record<string, string>, wrap: string[] = []): Promise<TemplateServer> {
  const [command, ...args] = [...wrap, process.execPath, "--import", "tsx", "src/server.ts"];
  const child = spawn(command!, args, {
    cwd: TEMPLATE_DIR,
    // Production mode with the published demo user let in on purpose: the load signs in as demo, from
    // one address per connection given in X-Forwarded-For (trusted here, as behind a proxy).
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      ALLOW_DEMO_USER: "1",
      TRUST_PROXY: "1",
      SESSION_TAG_SECRET: TAG_SECRET,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const listening = () => /Listening on (http:\/\/\S+)/.exec(output)?.[1];
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (listening() === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`The node-redis template did not start:\n${output}`);
    }
    await pause(50);
  }
  return {
    url: listening()!,
    pid: child.pid!,
    isAlive: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
    stop: () => stopChild(child),
  };
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!line) throw new Error(`No VmRSS for process ${pid}`);
  return Number(line[1]) / 1024;
}

/** Samples `rssMiB(pid)` every second until stopped. */
export function sampleRss(pid: number): { samples: number[]; stop(): number[] } {
  const samples: number[] = [rssMiB(pid)];
  const timer = setInterval(() => {
    try {
      samples.push(rssMiB(pid));
    } catch {
      // The process is gone; the caller notices that on its own.
    }
  }, 1_000);
  return {
    samples,
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** A request that takes longer than this counts as a timeout (seconds). */
  timeoutSeconds: number;
}

export interface ResponseRecord {
  status: number;
  /** When the response arrived, ms since the epoch. */
  at: number;
  /** The session ID the response set, if any. */
  createdSession?: string;
}

export interface LoadReport {
  requests: number;
  errors: number;
  timeouts: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  responses: ResponseRecord[];
  /** Every session ID the server issued (acknowledged with a 303 and Set-Cookie). */
  createdSessions: string[];
  /** Reads (200) of a just-created session that did not find its notice. */
  lostReads: number;
  latency: { p50: number; p99: number; max: number };
  requestsPerSecond: number;
}

/** Read requests per login in the load: PBKDF2 makes a login cost far more than a read. */
const READS_PER_LOGIN = 4;

/**
 * Each connection loops over a login and a few reads: POST /login as the
 * demo user (same-origin, as the starter's CSRF check wants; 303 with a
 * new session ID in Set-Cookie, a session written to Redis), then GET
 * /profile with that cookie, which must show the user: the session is read
 * back at once. Visitors who are not signed in cost the starter no
 * server-side write, so only logins create sessions.
 */
export async function runLoad(options: LoadOptions, onResponse?: (record: ResponseRecord) => void): Promise<LoadReport> {
  const responses: ResponseRecord[] = [];
  const createdSessions: string[] = [];
  let lostReads = 0;
  const record = (entry: ResponseRecord) => {
    responses.push(entry);
    onResponse?.(entry);
  };
  // One client address per connection, as behind a proxy (the server runs with TRUST_PROXY=1): the
  // starter throttles concurrent logins of one user from one address, as it should a guessing bot.
  type Context = { cookie?: string; connection?: number };
  let connectionsSeen = 0;
  const connectionOf = (context: Context) => (context.connection ??= ++connectionsSeen);
  const addressOf = (context: Context) => addressOfConnection(((connectionOf(context) - 1) % options.connections) + 1);
  const origin = new URL(options.url).origin;
  // Returning browsers: each connection's browser signed in once before, so it carries the starter's
  // device cookie and its sign-ins count on its own counter, as a returning user's do. (A hundred
  // unknown browsers signing in to one account at once is what the starter locks out: stuffing.)
  const deviceCookies = await returningBrowsers(options.url, options.connections);
  const read = {
    method: "GET",
    path: "/profile",
    setupRequest(request: { headers?: Record<string, string> }, context: Context) {
      return { ...request, headers: { ...request.headers, cookie: context.cookie ?? "" } };
    },
    onResponse(status: number, body: string, context: Context) {
      if (status === 200 && context.cookie && !body.includes(SIGNED_IN_AS)) lostReads++;
      record({ status, at: Date.now() });
    },
  };

  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: options.timeoutSeconds,
    requests: [
      {
        method: "POST",
        path: "/login",
        headers: { "content-type": "application/x-www-form-urlencoded", origin },
        body: new URLSearchParams({ username: "demo", password: "demo-password" }).toString(),
        setupRequest(request: { headers?: Record<string, string> }, context: Context) {
          // autocannon starts a fresh context when it reconnects: the same browsers, taken round.
          const device = deviceCookies.get(((connectionOf(context) - 1) % options.connections) + 1);
          return {
            ...request,
            headers: { ...request.headers, "x-forwarded-for": addressOf(context), ...(device ? { cookie: device } : {}) },
          };
        },
        onResponse(status: number, _body: string, context: Context, headers: Record<string, string | string[]>) {
          const id = sessionIdFrom(headers["set-cookie"]);
          if (status === 303 && id) {
            createdSessions.push(id);
            context.cookie = `session=${id}`;
          }
          record({ status, at: Date.now(), createdSession: status === 303 ? id : undefined });
        },
      },
      ...Array.from({ length: READS_PER_LOGIN }, () => read),
    ],
  });

  return {
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    responses,
    createdSessions,
    lostReads,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    requestsPerSecond: result.requests.average,
  };
}

/** The client address of the load's `n`th connection (from 1), as a proxy would forward it. */
function addressOfConnection(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Signs in once from each connection's address, one at a time, and returns each one's device cookie (`device=...`). */
async function returningBrowsers(url: string, connections: number): Promise<Map<number, string>> {
  const cookies = new Map<number, string>();
  for (let n = 1; n <= connections; n++) {
    const response = await fetch(`${url}/login`, {
      method: "POST",
      headers: { origin: new URL(url).origin, "x-forwarded-for": addressOfConnection(n) },
      body: new URLSearchParams({ username: "demo", password: "demo-password" }),
      redirect: "manual",
    });
    const device = response.headers
      .getSetCookie()
      .map((line) => /^device=[^;]+/.exec(line)?.[0])
      .find(Boolean);
    if (response.status !== 303 || !device) throw new Error(`The warm-up sign-in ${n} answered ${response.status} with no device cookie`);
    cookies.set(n, device);
  }
  return cookies;
}

function sessionIdFrom(setCookie: string | string[] | undefined): string | undefined {
  for (const line of [setCookie ?? []].flat()) {
    const match = /^session=([^;]+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Loads every session in `ids` straight from Redis through
 * RedisSessionStore (the keys and format the template uses) and returns
 * those that are gone or hold anything but the demo user's login.
 */
export async function unreadableSessions(redisUrl: string, ids: readonly string[]): Promise<string[]> {
  const client = createClient({ url: redisUrl });
  client.on("error", () => {});
  const store = new RedisSessionStore<Record<string, unknown>>({ getClient: () => client, prefix: "session:", userTagSecret: TAG_SECRET });
  const ctx = {} as RequestContext;
  const unreadable: string[] = [];
  try {
    for (let start = 0; start < ids.length; start += 500) {
      const batch = ids.slice(start, start + 500);
      const records = await Promise.all(batch.map((id) => store.loadRecord(id, ctx)));
      records.forEach((found, index) => {
        if ((found?.data as { username?: unknown } | undefined)?.username !== "demo") unreadable.push(batch[index]!);
      });
    }
  } finally {
    if (client.isOpen) client.destroy();
  }
  return unreadable;
}

/** The process ID of a redis-server, from INFO. */
export async function redisPid(redis: RedisServer): Promise<number> {
  const pid = /process_id:(\d+)/.exec(await redis.cli("INFO", "server"))?.[1];
  if (!pid) throw new Error("redis-server did not report its process_id");
  return Number(pid);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Logs in as the template's demo user with a plain form post and returns the session cookie. */
export async function logInAsDemo(url: string): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: "POST",
    headers: { origin: new URL(url).origin },
    body: new URLSearchParams({ username: "demo", password: "demo-password" }),
    redirect: "manual",
  });
  const id = sessionIdFrom(response.headers.getSetCookie());
  if (response.status !== 303 || !id) throw new Error(`Login failed with ${response.status}`);
  return `session=${id}`;
}

export interface SoakVerdict {
  failures: string[];
  rssMaxMiB: number;
}

/**
 * The soak's pass criteria, shared by `npm run soak` and its 5-second test:
 * no errors or timeouts, only 2xx/3xx answers, no session lost between its
 * creation and its read, every created session loadable afterwards, RSS
 * under the bound.
 */
export function judgeSoak(report: LoadReport, unreadable: readonly string[], rss: readonly number[], rssLimitMiB: number): SoakVerdict {
  const failures: string[] = [];
  if (report.errors > 0) failures.push(`${report.errors} connection errors`);
  if (report.timeouts > 0) failures.push(`${report.timeouts} timeouts`);
  const bad = Object.entries(report.statuses).filter(([code]) => !/^[23]\d\d$/.test(code));
  if (bad.length > 0) failures.push(`non-2xx/3xx answers: ${JSON.stringify(Object.fromEntries(bad))}`);
  if (report.createdSessions.length === 0) failures.push("no session was created");
  if (report.lostReads > 0) failures.push(`${report.lostReads} sessions not found right after they were created`);
  if (unreadable.length > 0) failures.push(`${unreadable.length} created sessions not readable afterwards`);
  const rssMaxMiB = Math.max(...rss);
  if (rssMaxMiB > rssLimitMiB) failures.push(`RSS reached ${rssMaxMiB.toFixed(1)} MiB, over the ${rssLimitMiB} MiB bound`);
  return { failures, rssMaxMiB };
}
