/**
 * The headline benchmark: what a session costs in CPU per request on a
 * server with many users. Each app (bench/apps.ts) is fed Fetch Requests
 * through @hattip/compose as an adapter would, minus the socket. Thousands
 * of users log in first; the measured requests then go round-robin over
 * them, so no cookie repeats within a batch, and each user's browser keeps
 * the cookie the last answer set.
 *
 * CPU time comes from process.cpuUsage (user + system) over a batch,
 * garbage collection included. A session's cost is its app's CPU per
 * request minus the no-session app's in the same round; rounds interleave
 * the apps, each round starting one app further on, and the figures are
 * medians over rounds. A secondary route replays one user's cookie.
 *
 * `runManyUsersByStore` (npm run bench) runs each store's apps in a Node
 * process of their own, as a server runs one store: the no-session app,
 * ours, @hattip/session's (and the floor and iron-session apps of that
 * store), interleaved there. `runManyUsers` runs the apps it is given in
 * this process (bench/profile.ts, the smoke test).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "redis";
import { adapterContextFor } from "./context.js";
import { createApp, type AppOptions } from "./apps.js";
import { PLAIN_COOKIE } from "./fixtures.js";
import { countingRedis, type RedisLike } from "./round-trips.js";
import { loadOurs } from "./ours-build.js";
import { FLOOR_SCENARIOS, isFloor, SCENARIOS, STORES, storeOf, writes, type Scenario } from "./scenarios.js";
import { startRedis } from "../packages/session/test/support/redis-server.js";
import type { HattipHandler } from "@hattip/core";

export type MeasuredRoute = "read" | "write" | "replay";
export const MEASURED_ROUTES: readonly MeasuredRoute[] = ["read", "write", "replay"];

export interface ManyUsersOptions {
  users: number;
  rounds: number;
  /** Requests per measurement (one app, one route, one round). */
  batch: number;
  scenarios?: readonly Scenario[];
  /** Defaults to every measured route. */
  routes?: readonly MeasuredRoute[];
  /** Called around the measured batches (not log-ins or warm-up): for a profiler. */
  beforeMeasuring?: () => Promise<unknown>;
  afterMeasuring?: () => Promise<unknown>;
  /** The hattip-session module to bench, for a before/after run against another build. */
  ours?: AppOptions["ours"];
  log?: (line: string) => void;
}

export interface CpuSample {
  scenario: Scenario;
  route: MeasuredRoute;
  round: number;
  /** CPU per request of the whole app, µs. */
  cpuMicros: number;
}

export interface RedisCost {
  scenario: Scenario;
  /** "login" is a fresh visitor; "relogin" a visitor whose session exists (regenerate then rotates it). */
  route: "login" | "relogin" | "read" | "write";
  commandsPerRequest: number;
  roundTripsPerRequest: number;
  requests: number;
}

export interface ManyUsersRaw {
  options: Pick<ManyUsersOptions, "users" | "rounds" | "batch">;
  samples: CpuSample[];
  redis: RedisCost[];
  /** Bytes of the Cookie header a logged-in user sends, per app. */
  cookieBytes: Partial<Record<Scenario, number>>;
}

interface User {
  cookie: string;
}

interface RunningApp {
  scenario: Scenario;
  handler: HattipHandler;
  users: User[];
  cursor: number;
}

const ORIGIN = "http://app.test";

/** Which build of ours the processes of `runManyUsersByStore` load (see bench/ours-build.ts). */
export interface OursBuild {
  oursPath?: string | undefined;
  webCrypto?: boolean;
}

/** Rounds of one store's process are numbered from its group's offset: each app meets its own no-session app. */
const GROUP_ROUNDS = 1000;
const GROUP_FLAG = "--many-users-group";

/** The apps that share a process: the no-session app with each store's apps, and with `cookie-only`. */
export function scenarioGroups(scenarios: readonly Scenario[] = [...SCENARIOS, ...FLOOR_SCENARIOS]): Scenario[][] {
  const groups: Scenario[][] = [["baseline", ...scenarios.filter((scenario) => scenario === "cookie-only")]];
  for (const store of STORES) groups.push(["baseline", ...scenarios.filter((scenario) => storeOf(scenario) === store)]);
  return groups.filter((group) => group.length > 1);
}

/** `runManyUsers` for each group of `scenarioGroups`, each in a Node process of its own; one run's samples. */
export async function runManyUsersByStore(
  options: Omit<ManyUsersOptions, "ours" | "beforeMeasuring" | "afterMeasuring"> & OursBuild,
): Promise<ManyUsersRaw> {
  const { log, scenarios, ...settings } = options;
  const merged: ManyUsersRaw = {
    options: { users: options.users, rounds: options.rounds, batch: options.batch },
    samples: [],
    redis: [],
    cookieBytes: {},
  };
  const groups = scenarioGroups(scenarios);
  for (const [index, group] of groups.entries()) {
    log?.(`  process ${index + 1} of ${groups.length}: ${group.join(", ")}`);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), GROUP_FLAG, JSON.stringify({ ...settings, scenarios: group })],
      { maxBuffer: 64 << 20 },
    );
    const raw = JSON.parse(stdout) as ManyUsersRaw;
    merged.samples.push(...raw.samples.map((sample) => ({ ...sample, round: index * GROUP_ROUNDS + sample.round })));
    merged.redis.push(...raw.redis);
    Object.assign(merged.cookieBytes, raw.cookieBytes);
  }
  return merged;
}

export async function runManyUsers(options: ManyUsersOptions): Promise<ManyUsersRaw> {
  const scenarios = options.scenarios ?? [...SCENARIOS, ...FLOOR_SCENARIOS];
  const log = options.log ?? (() => {});
  const needsRedis = scenarios.some((scenario) => storeOf(scenario) === "redis");
  const redisServer = needsRedis ? await startRedis() : null;
  const redisClient = redisServer ? createClient({ url: redisServer.url }) : null;
  await redisClient?.connect();
  try {
    const apps: RunningApp[] = [];
    const redis: RedisCost[] = [];
    const cookieBytes: ManyUsersRaw["cookieBytes"] = {};
    for (const scenario of scenarios) {
      const usesRedis = redisClient !== null && storeOf(scenario) === "redis";
      // Measured on the plain client: the counting wrapper's own cost is neither library's.
      const handler = await createApp(scenario, { ours: options.ours, redis: usesRedis ? redisClient : undefined });
      const app: RunningApp = { scenario, handler, users: [], cursor: 0 };
      app.users = await logIn(app, options.users);
      cookieBytes[scenario] = app.users[0]!.cookie.length;
      // The floor's commands are its own; the counts judge the libraries.
      if (usesRedis && !isFloor(scenario)) redis.push(...(await countRedis(scenario, redisClient, options)));
      apps.push(app);
      log(`  ${scenario}: ${options.users} users logged in`);
    }
    const measuredRoutes = options.routes ?? MEASURED_ROUTES;
    const routesOf = (app: RunningApp) => (writes(app.scenario) ? measuredRoutes : measuredRoutes.filter((route) => route === "read"));
    // Unmeasured: every app's code paths compiled and its heap grown before round 1.
    for (const app of apps) for (const route of routesOf(app)) await runBatch(app, route, Math.min(options.batch, 500));
    await options.beforeMeasuring?.();

    const samples: CpuSample[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const offset = (round - 1) % apps.length;
      for (const app of [...apps.slice(offset), ...apps.slice(0, offset)]) {
        const routes = round % 2 === 1 ? routesOf(app) : [...routesOf(app)].reverse();
        for (const route of routes) {
          const cpuMicros = await runBatch(app, route, options.batch);
          samples.push({ scenario: app.scenario, route, round, cpuMicros });
        }
      }
      log(`  round ${round} of ${options.rounds} done`);
    }
    await options.afterMeasuring?.();
    return {
      options: { users: options.users, rounds: options.rounds, batch: options.batch },
      samples,
      redis,
      cookieBytes,
    };
  } finally {
    await redisClient?.close();
    await redisServer?.stop();
  }
}

/** Logs `count` users in, each a fresh visitor; the cookies their browsers keep. */
async function logIn(app: RunningApp, count: number): Promise<User[]> {
  const users: User[] = [];
  for (let index = 0; index < count; index++) {
    const user = { cookie: app.scenario === "baseline" || app.scenario === "cookie-only" ? PLAIN_COOKIE : "" };
    await send(app, "/login", user);
    if (user.cookie === "") throw new Error(`${app.scenario}: /login set no cookie`);
    users.push(user);
  }
  return users;
}

/** One request of `user` to `path`; the browser keeps what Set-Cookie says. */
async function send(app: RunningApp, path: string, user: User): Promise<void> {
  const headers: Record<string, string> = user.cookie ? { cookie: user.cookie } : {};
  const response = await app.handler(adapterContextFor(new Request(ORIGIN + path, { headers })));
  await response.text();
  if (!response.ok) throw new Error(`${app.scenario} ${path} answered ${response.status}`);
  for (const line of response.headers.getSetCookie()) {
    const end = line.indexOf(";");
    // The session's own cookie (each app sets one): what the user sends from now on.
    if (!/;\s*max-age=0\b/i.test(line)) user.cookie = end < 0 ? line : line.slice(0, end);
  }
}

async function runBatch(app: RunningApp, route: MeasuredRoute, requests: number): Promise<number> {
  const path = route === "replay" ? "/read" : `/${route}`;
  // The replayed user's cookie never changes on /read; a copy keeps the real user's cookie apart.
  const replayed = { ...app.users[0]! };
  const started = process.cpuUsage();
  for (let index = 0; index < requests; index++) {
    const user = route === "replay" ? replayed : app.users[app.cursor++ % app.users.length]!;
    await send(app, path, user);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / requests;
}

/**
 * Redis commands and round trips per request, on each route, counted over
 * a pass of sequential requests of the same app built on a counting
 * client: fresh visitors logging in, then those users reading, writing
 * and logging in again.
 */
async function countRedis(scenario: Scenario, client: RedisLike, options: ManyUsersOptions): Promise<RedisCost[]> {
  const counted = countingRedis(client);
  const app: RunningApp = { scenario, handler: await createApp(scenario, { ours: options.ours, redis: counted.client }), users: [], cursor: 0 };
  const requests = Math.min(options.users, 500);
  const costs: RedisCost[] = [];
  const count = async (route: RedisCost["route"], pass: () => Promise<unknown>) => {
    counted.counter.reset();
    await pass();
    costs.push({
      scenario,
      route,
      commandsPerRequest: counted.counter.commands / requests,
      roundTripsPerRequest: counted.counter.roundTrips / requests,
      requests,
    });
  };
  await count("login", async () => (app.users = await logIn(app, requests)));
  for (const route of ["read", "write", "relogin"] as const) {
    await count(route, async () => {
      for (const user of app.users) await send(app, route === "relogin" ? "/login" : `/${route}`, user);
    });
  }
  return costs;
}

if (process.argv[2] === GROUP_FLAG) {
  const { oursPath, webCrypto, ...options } = JSON.parse(process.argv[3]!) as ManyUsersOptions & OursBuild;
  const ours = await loadOurs(oursPath, webCrypto === true);
  process.stdout.write(JSON.stringify(await runManyUsers({ ...options, ours })));
}
