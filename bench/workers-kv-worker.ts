/**
 * The KV benchmark's Worker (bench/workers-kv.ts bundles it with esbuild
 * and serves it with workerd through Miniflare): the benchmark's three
 * routes behind no session, behind ours with KvSessionStore, and behind
 * @hattip/session with its KvSessionStore, on one real (local) KV
 * namespace. `/<app>/<route>`, app one of baseline, ours, theirs.
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { compose, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import * as theirs from "@hattip/session";
import { KvSessionStore, session, type KvNamespaceLike } from "hattip-session";
import { BENCH_COOKIE_OPTIONS } from "./fixtures.js";
import { baselineRoutes, routes } from "./routes.js";

interface Env {
  SESSIONS: KvNamespaceLike;
}

const envOf = (ctx: RequestContext) => (ctx.platform as { env: Env }).env;
const cookieOptions = BENCH_COOKIE_OPTIONS;
const routeOf = (ctx: RequestContext) => ctx.url.pathname.slice(ctx.url.pathname.indexOf("/", 1));

const handlers: Record<string, RequestHandler[]> = {
  baseline: [(ctx) => baselineRoutes[routeOf(ctx)]?.()],
  ours: [
    cookie(),
    session({ store: new KvSessionStore({ getStore: (ctx) => envOf(ctx).SESSIONS }), cookieOptions }) as unknown as RequestHandler,
    (ctx) => routes[routeOf(ctx)]?.(ctx),
  ],
  theirs: [
    cookie(),
    theirs.session({
      store: new theirs.KvSessionStore({ getStore: (ctx) => envOf(ctx).SESSIONS as never }),
      defaultSessionData: {},
      cookieOptions,
    }) as RequestHandler,
    (ctx) => routes[routeOf(ctx)]?.(ctx),
  ],
};
const apps = Object.fromEntries(Object.entries(handlers).map(([name, chain]) => [name, compose(...chain)]));

export default {
  fetch: cloudflareWorkersAdapter((ctx) => {
    const app = apps[new URL(ctx.request.url).pathname.split("/")[1] ?? ""];
    return app ? app(ctx) : new Response("not found", { status: 404 });
  }),
};
