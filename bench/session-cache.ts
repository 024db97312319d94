/**
 * `npm run bench:cache`: what `session({ cache })` buys a server-side store.
 *
 * - Latency: each app served over real HTTP (@hattip/adapter-node) on
 *   127.0.0.1; PostgreSQL and Redis behind a TCP proxy that holds every
 *   chunk 40 ms each way, as a store in another region would. One browser
 *   per app sends read-only GETs one at a time; rounds interleave the apps.
 * - Store reads per request: N read-only GETs from a browser whose copy has
 *   just expired, counted by the backend itself (Redis INFO commandstats
 *   `get`; PostgreSQL `pg_stat_user_tables.idx_scan` of the sessions table).
 * - Durable Object calls per request, in workerd (Miniflare): the Worker
 *   counts what it sends to the session objects.
 * - CPU per request: the apps in this process, fed Fetch Requests as an
 *   adapter would (no sockets, the stores direct), many users round-robin,
 *   minus the app with only `cookie()` in the same round.
 *
 * Writes bench/session-cache.json, bench/SESSION-CACHE.md, and the same
 * section between its markers in bench/RESULTS.md (which `npm run bench`
 * keeps when it rewrites the rest).
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { compose, type RequestContext } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { build } from "esbuild";
import {
  EncryptedCookieStore,
  PostgresSessionStore,
  RedisSessionStore,
  session,
  SignedCookieStore,
  UnsafeMemoryStore,
  type SessionOptions,
  type SessionStore,
} from "hattip-session";
import { Miniflare } from "miniflare";
import pg from "pg";
import { createClient } from "redis";
import { createTestDatabase } from "../packages/session/test/support/postgres.js";
import { startRedis } from "../packages/session/test/support/redis-server.js";
import { serve, type Served } from "../packages/session/test/support/serve.js";
import { adapterContextFor } from "./context.js";
import { describeEnvironment } from "./environment.js";
import { startRoundTripProxy } from "./round-trip-proxy.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const DELAY_MS = 40;
const ROUNDS = values.quick ? 2 : 5;
const LATENCY_REQUESTS_PER_ROUND = values.quick ? 10 : 40;
const READ_COUNTS = [10, 100];
const CPU_USERS = values.quick ? 20 : 200;
const CPU_BATCH = values.quick ? 100 : 1000;
const CPU_ROUNDS = values.quick ? 1 : 7;
const CACHE_MAX_AGE = 300;
/** Binding a user needs the store's user tag secret, as an app's SESSION_TAG_SECRET. */
const USER_TAG_SECRET = "bench only: a user tag secret of 32+ characters";

const WORKER_SOURCE = `
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { DurableObjectSessionStore, EncryptedCookieStore, session } from "hattip-session";
export { SessionDurableObject } from "hattip-session";

const calls = {};
let apps;
async function appsFor(env) {
  const namespace = {
    idFromName: (name) => env.SESSION_OBJECTS.idFromName(name),
    get: (id) => {
      const stub = env.SESSION_OBJECTS.get(id);
      return {
        fetch: (url, init) => {
          const op = JSON.parse(init.body).op;
          calls[op] = (calls[op] ?? 0) + 1;
          return stub.fetch(url, init);
        },
      };
    },
  };
  const keys = await EncryptedCookieStore.generateKeysFromBase64([env.CACHE_KEY]);
  const routes = (ctx) => {
    if (ctx.url.pathname === "/login") {
      ctx.session.bindUser("ada");
      ctx.session.data.cart = ["tea", "biscuits"];
      return new Response("signed in");
    }
    return Response.json(ctx.session.data);
  };
  const store = new DurableObjectSessionStore({ userTagSecret: ${JSON.stringify(USER_TAG_SECRET)}, getNamespace: () => namespace });
  return {
    plain: cloudflareWorkersAdapter(compose(cookie(), session({ store }), routes)),
    cached: cloudflareWorkersAdapter(compose(cookie(), session({ store, cache: { maxAge: ${CACHE_MAX_AGE}, keys } }), routes)),
  };
}

export default {
  async fetch(request, env, executionContext) {
    const url = new URL(request.url);
    if (url.pathname === "/__calls") return Response.json(calls);
    apps ??= await appsFor(env);
    const app = url.searchParams.get("cache") === "true" ? apps.cached : apps.plain;
    return app(request, env, executionContext);
  },
};
`;

const SECTION_BEGIN = "<!-- session-cache:begin (written by bench/session-cache.ts) -->";
const SECTION_END = "<!-- session-cache:end -->";

const log = (line: string) => console.log(line);
const environment = await describeEnvironment();
log(`bench:cache: ${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)}, Node ${environment.node}`);

const cacheKeys = [await EncryptedCookieStore.generateKey()] as [CryptoKey];
const signedKeys = [await SignedCookieStore.generateKey()] as [CryptoKey];

/** An app with a read-only route, and a login that binds a user (a write, as at sign-in); `cache` as `session({ cache })` takes it. */
function appOf(store: SessionStore, cache: boolean | "signed") {
  const cacheOptions =
    cache === "signed" ? { maxAge: CACHE_MAX_AGE, keys: signedKeys, protection: "signed" as const } : { maxAge: CACHE_MAX_AGE, keys: cacheKeys };
  const sessions = session({ store, ...(cache ? { cache: cacheOptions } : {}) } as SessionOptions);
  return compose(cookie(), sessions, (ctx: RequestContext) => {
    const current = sessions.of(ctx);
    if (ctx.url.pathname === "/login") {
      current.bindUser("ada");
      (current.data as Record<string, unknown>)["cart"] = ["tea", "biscuits"];
      return new Response("signed in");
    }
    return Response.json(current.data);
  });
}

/** A browser's cookies for one origin: what Set-Cookie says, Max-Age=0 deletes. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (/;\s*max-age=0(;|$)/i.test(line)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

async function get(url: string, jar: Jar): Promise<void> {
  const response = await fetch(url, { headers: { cookie: jar.header } });
  jar.take(response.headers);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round2 = (value: number) => Math.round(value * 100) / 100;

// The backends: a redis-server and a database of this run's own, each reachable directly and through the latency proxy.
const redisServer = await startRedis();
const database = await createTestDatabase();
const redisPort = Number(new URL(redisServer.url).port);
const redisProxy = await startRoundTripProxy({ host: "127.0.0.1", port: redisPort }, DELAY_MS);
const postgresProxy = await startRoundTripProxy({ host: "127.0.0.1", port: 5432 }, DELAY_MS);
const proxiedDatabaseUrl = new URL(database.url);
proxiedDatabaseUrl.port = String(postgresProxy.port);
const directRedis = createClient({ url: redisServer.url });
const proxiedRedis = createClient({ url: `redis://127.0.0.1:${redisProxy.port}` });
const directPool = new pg.Pool({ connectionString: database.url, max: 4 });
/** The store's connection where its reads are counted: one, so that its statistics can be flushed on demand. */
const countedPool = new pg.Pool({ connectionString: database.url, max: 1 });
const proxiedPool = new pg.Pool({ connectionString: proxiedDatabaseUrl.toString(), max: 4 });
const TABLE = "hattip_sessions";
/** The table whose scans are counted: only the counted store uses it. */
const COUNTED_TABLE = "hattip_sessions_counted";
await new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: directPool, table: TABLE }).createTable();
await new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: countedPool, table: COUNTED_TABLE }).createTable();

/** The backend's own count of session reads: Redis GET commands, or scans of the sessions table. */
async function backendReads(backend: "redis" | "postgres"): Promise<number> {
  if (backend === "redis") return (await redisServer.commandStats()).get("get") ?? 0;
  // The store's one connection reports its statistics when it goes idle after this, instead of up to a second later.
  await countedPool.query("SELECT pg_stat_force_next_flush()");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const { rows } = await directPool.query("SELECT idx_scan + seq_scan AS scans FROM pg_stat_user_tables WHERE relname = $1", [COUNTED_TABLE]);
  return Number((rows[0] as { scans: string }).scans);
}

const output: Record<string, unknown> = { environment, delayMsEachWay: DELAY_MS, cacheMaxAgeSeconds: CACHE_MAX_AGE };
const served: Served[] = [];
try {
  await Promise.all([directRedis.connect(), proxiedRedis.connect()]);

  // 1. Latency over HTTP, PostgreSQL and Redis 40 ms away.
  const latencyApps: { name: string; make: () => SessionStore; cache: boolean }[] = [
    { name: "SignedCookieStore", make: () => new SignedCookieStore(signedKeys), cache: false },
    {
      name: "PostgresSessionStore",
      make: () => new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: proxiedPool, table: TABLE }),
      cache: false,
    },
    {
      name: "PostgresSessionStore + cache",
      make: () => new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: proxiedPool, table: TABLE }),
      cache: true,
    },
    { name: "RedisSessionStore", make: () => new RedisSessionStore({ userTagSecret: USER_TAG_SECRET, getClient: () => proxiedRedis }), cache: false },
    {
      name: "RedisSessionStore + cache",
      make: () => new RedisSessionStore({ userTagSecret: USER_TAG_SECRET, getClient: () => proxiedRedis }),
      cache: true,
    },
  ];
  const browsers = [];
  for (const app of latencyApps) {
    const server = await serve(appOf(app.make(), app.cache));
    served.push(server);
    const jar = new Jar();
    await get(`${server.url}/login`, jar);
    await get(`${server.url}/read`, jar); // warm: connections open, code paths compiled
    browsers.push({ app, url: server.url, jar, times: [] as number[] });
  }
  log(`latency: ${ROUNDS} rounds of ${LATENCY_REQUESTS_PER_ROUND} read-only GETs per app, one at a time`);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < browsers.length; i++) {
      const browser = browsers[(i + round) % browsers.length]!;
      for (let n = 0; n < LATENCY_REQUESTS_PER_ROUND; n++) {
        const started = performance.now();
        await get(`${browser.url}/read`, browser.jar);
        browser.times.push(performance.now() - started);
      }
    }
  }
  const latency = browsers.map(({ app, times }) => ({ app: app.name, p50Ms: round2(median(times)), requests: times.length }));
  for (const row of latency) log(`  ${row.app}: p50 ${row.p50Ms} ms`);
  output["latency"] = latency;

  // 2. Store reads per read-only request, by the backend's own count, from a browser whose copy just expired.
  const reads = [];
  for (const backend of ["postgres", "redis"] as const) {
    for (const cache of [false, true]) {
      const store =
        backend === "postgres"
          ? new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: countedPool, table: COUNTED_TABLE })
          : new RedisSessionStore({ userTagSecret: USER_TAG_SECRET, getClient: () => directRedis });
      const server = await serve(appOf(store, cache));
      served.push(server);
      for (const requests of READ_COUNTS) {
        const jar = new Jar();
        await get(`${server.url}/login`, jar);
        jar.cookies.delete("session.cache");
        const before = await backendReads(backend);
        for (let n = 0; n < requests; n++) await get(`${server.url}/read`, jar);
        const counted = (await backendReads(backend)) - before;
        reads.push({ store: backend === "postgres" ? "PostgresSessionStore" : "RedisSessionStore", cache, requests, reads: counted });
        log(`  ${backend}${cache ? " + cache" : ""}: ${counted} store reads for ${requests} read-only requests`);
      }
    }
  }
  output["reads"] = reads;

  // 3. Durable Object calls per read-only request, in workerd.
  output["durableObjects"] = await durableObjectCalls();

  // 4. CPU per read-only request, in this process.
  output["cpu"] = await cpuPerRequest();
} finally {
  await Promise.all(served.map((server) => server.close()));
  await Promise.all([
    directRedis.close().catch(() => {}),
    proxiedRedis.close().catch(() => {}),
    directPool.end(),
    countedPool.end(),
    proxiedPool.end(),
  ]);
  await Promise.all([redisProxy.close(), postgresProxy.close()]);
  await Promise.all([redisServer.stop(), database.drop()]);
}

async function durableObjectCalls() {
  const script = await build({
    stdin: {
      contents: WORKER_SOURCE,
      loader: "ts",
      resolveDir: new URL(".", import.meta.url).pathname,
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "silent",
  });
  const miniflare = new Miniflare({
    modules: true,
    script: script.outputFiles[0]!.text,
    durableObjects: { SESSION_OBJECTS: { className: "SessionDurableObject", useSQLite: true } },
    bindings: { CACHE_KEY: await EncryptedCookieStore.exportKey(cacheKeys[0]) },
    compatibilityDate: "2025-06-01",
  });
  try {
    const rows = [];
    for (const cache of [false, true]) {
      for (const requests of READ_COUNTS) {
        const jar = new Jar();
        const send = async (path: string) => {
          const response = await miniflare.dispatchFetch(`http://app.test${path}${path.includes("?") ? "&" : "?"}cache=${cache}`, {
            headers: { cookie: jar.header },
          });
          jar.take(response.headers as unknown as Headers);
          return response.text();
        };
        await send("/login");
        jar.cookies.delete("session.cache");
        const before = JSON.parse(await send("/__calls")) as Record<string, number>;
        for (let n = 0; n < requests; n++) await send("/read");
        const after = JSON.parse(await send("/__calls")) as Record<string, number>;
        const calls = Object.keys(after).reduce((sum, op) => sum + (after[op]! - (before[op] ?? 0)), 0);
        rows.push({ cache, requests, calls, loads: (after["load"] ?? 0) - (before["load"] ?? 0) });
        log(`  Durable Objects${cache ? " + cache" : ""}: ${calls} calls to the session objects for ${requests} read-only requests`);
      }
    }
    return rows;
  } finally {
    await miniflare.dispose();
  }
}

async function cpuPerRequest() {
  const memory = new UnsafeMemoryStore();
  const apps: { name: string; handler: ReturnType<typeof compose> }[] = [
    { name: "cookie-only", handler: compose(cookie(), () => new Response("{}")) },
    { name: "SignedCookieStore", handler: appOf(new SignedCookieStore(signedKeys), false) },
    { name: "EncryptedCookieStore", handler: appOf(new EncryptedCookieStore(cacheKeys), false) },
    { name: "UnsafeMemoryStore", handler: appOf(memory, false) },
    { name: "UnsafeMemoryStore + cache", handler: appOf(memory, true) },
    { name: "UnsafeMemoryStore + signed cache", handler: appOf(memory, "signed") },
    { name: "RedisSessionStore", handler: appOf(new RedisSessionStore({ userTagSecret: USER_TAG_SECRET, getClient: () => directRedis }), false) },
    {
      name: "RedisSessionStore + cache",
      handler: appOf(new RedisSessionStore({ userTagSecret: USER_TAG_SECRET, getClient: () => directRedis }), true),
    },
    {
      name: "PostgresSessionStore",
      handler: appOf(new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: directPool, table: TABLE }), false),
    },
    {
      name: "PostgresSessionStore + cache",
      handler: appOf(new PostgresSessionStore({ userTagSecret: USER_TAG_SECRET, client: directPool, table: TABLE }), true),
    },
  ];
  const send = async (handler: ReturnType<typeof compose>, path: string, jar: Jar) => {
    const request = new Request(`http://localhost${path}`, { headers: { cookie: jar.header } });
    const response = await handler(adapterContextFor(request));
    jar.take(response.headers);
    await response.arrayBuffer();
  };
  const users = new Map<string, Jar[]>();
  for (const app of apps) {
    const jars = [];
    for (let u = 0; u < CPU_USERS; u++) {
      const jar = new Jar();
      await send(app.handler, "/login", jar);
      jars.push(jar);
    }
    users.set(app.name, jars);
  }
  log(`cpu: ${CPU_ROUNDS} rounds of ${CPU_BATCH} read-only requests per app over ${CPU_USERS} users`);
  const perRound = new Map<string, number[]>(apps.map((app) => [app.name, []]));
  for (let round = 0; round < CPU_ROUNDS + 1; round++) {
    for (let i = 0; i < apps.length; i++) {
      const app = apps[(i + round) % apps.length]!;
      const jars = users.get(app.name)!;
      const started = process.cpuUsage();
      for (let n = 0; n < CPU_BATCH; n++) await send(app.handler, "/read", jars[n % jars.length]!);
      const used = process.cpuUsage(started);
      // The first round only warms up.
      if (round > 0) perRound.get(app.name)!.push((used.user + used.system) / CPU_BATCH);
    }
  }
  const baseline = median(perRound.get("cookie-only")!);
  const rows = apps.map((app) => {
    const appMicros = median(perRound.get(app.name)!);
    return { app: app.name, appMicros: round2(appMicros), sessionMicros: round2(appMicros - baseline) };
  });
  for (const row of rows) log(`  ${row.app}: ${row.appMicros} µs per request (session: ${row.sessionMicros} µs)`);
  return rows;
}

const report = renderSection(output);
await writeFile(new URL("./session-cache.json", import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
await writeFile(new URL("./SESSION-CACHE.md", import.meta.url), `${report}\n`);
const resultsUrl = new URL("./RESULTS.md", import.meta.url);
await writeFile(resultsUrl, withSection(await readFile(resultsUrl, "utf8"), report));
log("wrote bench/session-cache.json, bench/SESSION-CACHE.md and its section of bench/RESULTS.md");

/** `results` with its session-cache section replaced by `section`, or added at its end. */
function withSection(results: string, section: string): string {
  const start = results.indexOf(SECTION_BEGIN);
  const end = results.indexOf(SECTION_END);
  const block = `${SECTION_BEGIN}\n${section}\n${SECTION_END}`;
  if (start >= 0 && end > start) return results.slice(0, start) + block + results.slice(end + SECTION_END.length);
  return `${results.trimEnd()}\n\n${block}\n`;
}

function renderSection(data: Record<string, unknown>): string {
  const latency = data["latency"] as { app: string; p50Ms: number; requests: number }[];
  const reads = data["reads"] as { store: string; cache: boolean; requests: number; reads: number }[];
  const objects = data["durableObjects"] as { cache: boolean; requests: number; calls: number; loads: number }[];
  const cpu = data["cpu"] as { app: string; appMicros: number; sessionMicros: number }[];
  const p50 = (app: string) => latency.find((row) => row.app === app)!.p50Ms;
  const cookieP50 = p50("SignedCookieStore");
  const lines = [
    "## The session cache",
    "",
    `Written by \`npm run bench:cache\` (bench/session-cache.ts); raw numbers in \`bench/session-cache.json\`. ${environment.date}, ` +
      `${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)} at the start, Node ${environment.node}. ` +
      `PostgreSQL and Redis sit behind a TCP proxy that holds every chunk ${DELAY_MS} ms each way (a store round trip: at least ${2 * DELAY_MS} ms); ` +
      `the cache's \`maxAge\` is ${CACHE_MAX_AGE} s.`,
    "",
    "| Measure | Target | Met | Figures |",
    "| --- | --- | --- | --- |",
  ];
  for (const store of ["PostgresSessionStore", "RedisSessionStore"]) {
    const cached = p50(`${store} + cache`);
    const uncached = p50(store);
    lines.push(
      `| ${store}: read-only request's p50 with the cache vs a cookie store | within 2 ms | ${Math.abs(cached - cookieP50) <= 2 ? "Met" : "**Not met**"} | ${cached} ms vs ${cookieP50} ms (SignedCookieStore) |`,
      `| ${store}: read-only request's p50 without the cache | at least the proxy's round trip (${2 * DELAY_MS} ms) | ${uncached >= 2 * DELAY_MS ? "Met" : "**Not met**"} | ${uncached} ms |`,
    );
  }
  for (const store of ["PostgresSessionStore", "RedisSessionStore"]) {
    for (const requests of READ_COUNTS) {
      const cached = reads.find((row) => row.store === store && row.cache && row.requests === requests)!;
      const uncached = reads.find((row) => row.store === store && !row.cache && row.requests === requests)!;
      lines.push(
        `| ${store}: store reads for ${requests} read-only requests within maxAge (${store.startsWith("Postgres") ? "index scans of the table" : "GET commands"}) | 1 with the cache | ${cached.reads === 1 ? "Met" : "**Not met**"} | ${cached.reads} with the cache, ${uncached.reads} without |`,
      );
    }
  }
  for (const requests of READ_COUNTS) {
    const cached = objects.find((row) => row.cache && row.requests === requests)!;
    const uncached = objects.find((row) => !row.cache && row.requests === requests)!;
    lines.push(
      `| Durable Objects in workerd: calls to the session objects for ${requests} read-only requests within maxAge | 1 with the cache | ${cached.calls === 1 ? "Met" : "**Not met**"} | ${cached.calls} with the cache, ${uncached.calls} without |`,
    );
  }
  lines.push(
    "",
    `Latency: one browser per app, ${ROUNDS} rounds of ${LATENCY_REQUESTS_PER_ROUND} read-only GETs each, one at a time over HTTP, apps interleaved; ` +
      "the browser signed in first, so the cached apps answer from the copy the sign-in made. " +
      "Store reads: a browser signs in, its copy is dropped (as when `maxAge` has passed), then it sends N read-only GETs; " +
      "the first reads the store and leaves a new copy, which answers the rest.",
    "",
    "| App | p50 latency, ms |",
    "| --- | ---: |",
    ...latency.map((row) => `| ${row.app} | ${row.p50Ms} |`),
    "",
    `CPU per read-only request, in this process (no sockets; the stores direct, not through the proxy), ${CPU_USERS} users round-robin, ` +
      `${CPU_ROUNDS} rounds of ${CPU_BATCH} requests, median; **session** is the app minus the app with only \`cookie()\`. ` +
      "A server store's figure includes its client library's work (node-redis, pg).",
    "",
    "| App | app µs | session µs |",
    "| --- | ---: | ---: |",
    ...cpu.map((row) => `| ${row.app} | ${row.appMicros} | ${row.app === "cookie-only" ? "–" : row.sessionMicros} |`),
  );
  return lines.join("\n");
}
