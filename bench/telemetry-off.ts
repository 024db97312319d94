/**
 * What events and telemetry cost when they are not configured: the apps of
 * the many-users benchmark (bench/apps.ts) built on this build and on
 * another (the build before them), side by side in one process. Every
 * round runs one batch of each app and route, the two builds back to back
 * (their order swapped from round to round) next to the no-session app,
 * so that the machine's drift falls on both alike. A session's cost is
 * its app's CPU per request minus the no-session app's in the same round;
 * the figures are medians over the rounds, and the ratio is the median of
 * each round's after/before.
 *
 *   npx tsx bench/telemetry-off.ts --before <other build's dist/index.js> [--rounds 15] [--users 2000] [--apps unsigned,memory] [--out FILE]
 *
 * `--after <dist/index.js>` benches another build in this one's place: with
 * `--before` and `--after` the same build, the figures show the noise alone.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { HattipHandler } from "@hattip/core";
import type * as OursModule from "hattip-session";
import { createClient } from "redis";
import { startRedis } from "../packages/session/test/support/redis-server.js";
import { createApp } from "./apps.js";
import { adapterContextFor } from "./context.js";
import { describeEnvironment } from "./environment.js";
import { PLAIN_COOKIE } from "./fixtures.js";
import { type Scenario, STORES } from "./scenarios.js";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    after: { type: "string" },
    rounds: { type: "string", default: "15" },
    users: { type: "string", default: "2000" },
    batch: { type: "string", default: "500" },
    out: { type: "string" },
    /** Which of ours' apps, comma-separated (default: signed, encrypted, memory, redis). */
    apps: { type: "string" },
  },
});
if (!values.before) throw new Error("--before <dist/index.js of the build to compare with> is required");
const [rounds, userCount, batch] = [Number(values.rounds), Number(values.users), Number(values.batch)];

const SESSION_APPS: readonly Scenario[] = values.apps
  ? values.apps.split(",").map((name) => {
      const store = STORES.find((known) => known === name.trim());
      if (!store) throw new Error(`--apps takes store names among ${STORES.join(", ")}, not "${name.trim()}"`);
      return `ours:${store}` as const;
    })
  : ["ours:signed", "ours:encrypted", "ours:memory", "ours:redis"];
const ROUTES = ["read", "write"] as const;
type Build = "before" | "after";

interface App {
  handler: HattipHandler;
  cookies: string[];
  cursor: number;
}

const builds: Record<Build, typeof OursModule> = {
  before: (await import(pathToFileURL(resolve(values.before)).href)) as typeof OursModule,
  after: (await import(values.after ? pathToFileURL(resolve(values.after)).href : "hattip-session")) as typeof OursModule,
};
const environment = await describeEnvironment();
console.log(`telemetry off: ${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)}, Node ${environment.node}`);

const redisServer = await startRedis();
const redis = createClient({ url: redisServer.url });
await redis.connect();
try {
  const baseline = await start("baseline", builds.after);
  const apps = new Map<string, App>();
  for (const scenario of SESSION_APPS)
    for (const build of ["before", "after"] as const) apps.set(`${build} ${scenario}`, await start(scenario, builds[build]));
  console.log(`  ${userCount} users logged in to each of ${apps.size} apps`);
  for (const app of [baseline, ...apps.values()]) for (const route of ROUTES) await run(app, route, Math.min(batch, 200));

  /** Session µs per request, by build, app and route: one value per round. */
  const costs = new Map<string, number[]>();
  const note = (key: string, value: number) => costs.set(key, [...(costs.get(key) ?? []), value]);
  for (let round = 0; round < rounds; round++) {
    const order: Build[] = round % 2 === 0 ? ["before", "after"] : ["after", "before"];
    for (const route of ROUTES) {
      for (const scenario of SESSION_APPS) {
        const base = await run(baseline, route, batch);
        const measured = new Map<Build, number>();
        for (const build of order) measured.set(build, (await run(apps.get(`${build} ${scenario}`)!, route, batch)) - base);
        note(`before ${scenario} ${route}`, measured.get("before")!);
        note(`after ${scenario} ${route}`, measured.get("after")!);
        note(`ratio ${scenario} ${route}`, measured.get("after")! / measured.get("before")!);
      }
    }
  }

  const lines = ["| app | route | before (µs) | after (µs) | after / before (median of rounds) |", "| --- | --- | --- | --- | --- |"];
  for (const scenario of SESSION_APPS) {
    for (const route of ROUTES) {
      const [before, after, ratio] = (["before", "after", "ratio"] as const).map((kind) => median(costs.get(`${kind} ${scenario} ${route}`)!));
      lines.push(`| ${scenario} | ${route} | ${before!.toFixed(1)} | ${after!.toFixed(1)} | ${ratio!.toFixed(3)} |`);
    }
  }
  const table = lines.join("\n");
  console.log(table);
  if (values.out) {
    const load = (await describeEnvironment()).loadAverage1mAtStart;
    await writeFile(
      values.out,
      `Session CPU per request, ${rounds} rounds of ${batch} requests per app and route, ${userCount} users per app; ` +
        `${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)} at the start and ${load.toFixed(2)} at the end, Node ${environment.node}.\n\n${table}\n`,
    );
  }
} finally {
  await redis.close();
  await redisServer.stop();
}

async function start(scenario: Scenario, ours: typeof OursModule): Promise<App> {
  const app: App = { handler: await createApp(scenario, { ours, redis: redis as never }), cookies: [], cursor: 0 };
  for (let index = 0; index < userCount; index++) {
    const cookie = await send(app, "/login", scenario === "baseline" ? PLAIN_COOKIE : "");
    app.cookies.push(cookie);
  }
  return app;
}

/** CPU per request, µs, of `requests` requests to `route`, round-robin over the app's users. */
async function run(app: App, route: (typeof ROUTES)[number], requests: number): Promise<number> {
  const started = process.cpuUsage();
  for (let index = 0; index < requests; index++) {
    const user = app.cursor++ % app.cookies.length;
    app.cookies[user] = await send(app, `/${route}`, app.cookies[user]!);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / requests;
}

/** One request; the cookie the browser keeps after it. */
async function send(app: App, path: string, cookie: string): Promise<string> {
  const response = await app.handler(adapterContextFor(new Request(`http://app.test${path}`, { headers: cookie ? { cookie } : {} })));
  await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  let kept = cookie;
  for (const line of response.headers.getSetCookie()) {
    const end = line.indexOf(";");
    if (!/;\s*max-age=0\b/i.test(line)) kept = end < 0 ? line : line.slice(0, end);
  }
  return kept;
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
