/**
 * The session layer alone: each library's middleware behind @hattip/cookie
 * through @hattip/compose, called with a bare request context (no Fetch
 * `Request`, no adapter, no socket), on the same many users as the
 * headline, each user's requests alternating between reads and writes as
 * there. Ours and @hattip/session run in alternating batches of 100
 * requests, so each pair meets the machine in the same state; the figures
 * are medians over the pairs. Without the Request, Response and stream
 * work every app pays alike, a difference of half a microsecond shows,
 * where the whole-app figures move by several from round to round on this
 * machine. Each store is measured in a Node process of its own, as a server
 * runs one store: in one process with the other stores' apps, the
 * middleware's calls into the store see several classes and V8 stops
 * inlining them, which a real server never pays. Server stores with I/O
 * (Redis, KV) are left out: their cost is the round trip's.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { composePartial, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import * as theirs from "@hattip/session";
import type * as OursModule from "hattip-session";
import { BENCH_COOKIE_OPTIONS, BENCH_KEYS } from "./fixtures.js";
import { routes } from "./routes.js";

export const LAYER_STORES = ["unsigned", "signed", "encrypted", "memory"] as const;
export type LayerStore = (typeof LAYER_STORES)[number];
export type LayerRoute = "read" | "write";

export interface LayerOptions {
  users: number;
  /** Pairs of batches (one of ours, one of theirs) per store and route. */
  pairs: number;
  batch: number;
  /** Another build of hattip-session (its dist/index.js), for a before run. */
  oursPath?: string | undefined;
  log?: (line: string) => void;
}

export interface LayerRow {
  store: LayerStore;
  route: LayerRoute;
  /** Median CPU per request over the batches, µs. */
  oursMicros: number;
  theirsMicros: number;
  /** Median over the pairs of (theirs − ours), µs: how much less ours costs. */
  pairedSavingMicros: number;
}

interface LayerApp {
  handle: (ctx: RequestContext) => Promise<Response>;
  cookies: string[];
  cursor: number;
}

const ORIGIN = "http://app.test";

export async function runLayer(options: LayerOptions): Promise<LayerRow[]> {
  const rows: LayerRow[] = [];
  for (const store of LAYER_STORES) {
    const { log: _log, ...settings } = options;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), CHILD_FLAG, JSON.stringify({ ...settings, store })],
      { maxBuffer: 1 << 20 },
    );
    const measured = JSON.parse(stdout) as LayerRow[];
    for (const row of measured) {
      options.log?.(`  layer ${row.store} /${row.route}: ours ${row.oursMicros.toFixed(2)} µs, theirs ${row.theirsMicros.toFixed(2)} µs`);
    }
    rows.push(...measured);
  }
  return rows;
}

const CHILD_FLAG = "--layer-child";

/** One store's rows, in this process: what runLayer's child process for `store` runs. */
async function measureStore(store: LayerStore, options: Omit<LayerOptions, "log">): Promise<LayerRow[]> {
  const ours = (await import(options.oursPath ? pathToFileURL(resolve(options.oursPath)).href : "hattip-session")) as typeof OursModule;
  const apps = { ours: await layerApp(await oursMiddleware(ours, store)), theirs: await layerApp(await theirsMiddleware(store)) };
  for (const app of Object.values(apps)) app.cookies = await logIn(app, options.users);
  const routes = ["read", "write"] as const;
  // Unmeasured: both apps' paths compiled first.
  for (const app of Object.values(apps)) for (const route of routes) await runBatch(app, route, 1000);
  const runs = Object.fromEntries(routes.map((route) => [route, { ours: [] as number[], theirs: [] as number[], savings: [] as number[] }]));
  for (let index = 0; index < options.pairs * routes.length; index++) {
    // Both apps' cursors move alike, so the route is the same for the two batches of a pair.
    const route = routeAt(apps.ours.cursor, options.users, options.batch);
    const measured = runs[route]!;
    // Each library goes first in every other pair of a route.
    const oursFirst = measured.ours.length % 2 === 0;
    const first = await runBatch(oursFirst ? apps.ours : apps.theirs, route, options.batch);
    const second = await runBatch(oursFirst ? apps.theirs : apps.ours, route, options.batch);
    const [oursMicros, theirsMicros] = oursFirst ? [first, second] : [second, first];
    measured.ours.push(oursMicros);
    measured.theirs.push(theirsMicros);
    measured.savings.push(theirsMicros - oursMicros);
  }
  return routes.map((route) => {
    const { ours: oursRuns, theirs: theirsRuns, savings } = runs[route]!;
    return { store, route, oursMicros: median(oursRuns), theirsMicros: median(theirsRuns), pairedSavingMicros: median(savings) };
  });
}

/**
 * The route of the batch that starts at `cursor`: batches take the users in
 * turn, reads and writes alternating, and each pass over the users swaps
 * them, so every user's requests alternate between reading and writing, as
 * in the headline. A server store then meets what a real one does, a read
 * right after the session was written (the memory store, for one, parses
 * its text then, and copies a kept parse only on later reads).
 */
function routeAt(cursor: number, users: number, batch: number): LayerRoute {
  const chunk = Math.floor((cursor % users) / batch);
  const pass = Math.floor(cursor / users);
  return (chunk + pass) % 2 === 0 ? "read" : "write";
}

async function oursMiddleware(ours: typeof OursModule, store: LayerStore): Promise<RequestHandler> {
  const stores: Record<LayerStore, () => Promise<OursModule.SessionStore>> = {
    unsigned: async () => new ours.UnsignedCookieStore(),
    signed: async () => new ours.SignedCookieStore(await ours.SignedCookieStore.generateKeysFromBase64([BENCH_KEYS.hmac])),
    encrypted: async () => new ours.EncryptedCookieStore(await ours.EncryptedCookieStore.generateKeysFromBase64([BENCH_KEYS.aes])),
    memory: async () => new ours.UnsafeMemoryStore(),
  };
  return ours.session({ store: await stores[store](), cookieOptions: BENCH_COOKIE_OPTIONS }) as unknown as RequestHandler;
}

async function theirsMiddleware(store: LayerStore): Promise<RequestHandler> {
  const stores: Record<LayerStore, () => Promise<theirs.SessionStore>> = {
    unsigned: async () => new theirs.SimpleCookieStore(),
    signed: async () => new theirs.SignedCookieStore(await theirs.SignedCookieStore.generateKeysFromBase64([BENCH_KEYS.hmac])),
    encrypted: async () => new theirs.EncryptedCookieStore(await theirs.EncryptedCookieStore.generateKeysFromBase64([BENCH_KEYS.aes])),
    memory: async () => new theirs.UnsafeMemorySessionStore(),
  };
  return theirs.session({
    store: await stores[store](),
    defaultSessionData: {},
    cookieOptions: BENCH_COOKIE_OPTIONS,
  }) as RequestHandler;
}

async function layerApp(session: RequestHandler): Promise<LayerApp> {
  const handle = composePartial([cookie(), session, (ctx: RequestContext) => routes[ctx.url.pathname]!(ctx)]) as (
    ctx: RequestContext,
  ) => Promise<Response>;
  return { handle, cookies: [], cursor: 0 };
}

/** What an adapter's context gives the two middlewares: the URL, the Cookie header, and an error handler. */
function contextFor(path: string, cookieHeader: string): RequestContext {
  const headers = { get: (name: string) => (name.toLowerCase() === "cookie" ? cookieHeader : null) };
  return {
    url: new URL(ORIGIN + path),
    request: { headers } as unknown as Request,
    handleError: (error: unknown) => {
      throw error;
    },
  } as unknown as RequestContext;
}

/** The session cookie a response sets: what the user's browser sends from then on. */
function sessionCookieOf(response: Response): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    if (!/;\s*max-age=0\b/i.test(line)) return line.slice(0, line.indexOf(";"));
  }
  return undefined;
}

async function logIn(app: LayerApp, users: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let index = 0; index < users; index++) {
    const set = sessionCookieOf(await app.handle(contextFor("/login", "")));
    if (set === undefined) throw new Error("/login set no cookie");
    cookies.push(set);
  }
  return cookies;
}

async function runBatch(app: LayerApp, route: LayerRoute, requests: number): Promise<number> {
  const started = process.cpuUsage();
  for (let index = 0; index < requests; index++) {
    const user = app.cursor++ % app.cookies.length;
    const response = await app.handle(contextFor(`/${route}`, app.cookies[user]!));
    const set = sessionCookieOf(response);
    if (set !== undefined) app.cookies[user] = set;
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / requests;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

if (process.argv[2] === CHILD_FLAG) {
  const { store, ...options } = JSON.parse(process.argv[3]!) as Omit<LayerOptions, "log"> & { store: LayerStore };
  process.stdout.write(JSON.stringify(await measureStore(store, options)));
}
