/**
 * The apps every benchmark runs, as Hattip handlers: the same three routes
 * (/login, /read, /write) behind ours, @hattip/session, iron-session or no
 * session at all. The HTTP benchmark serves them; the many-users benchmark
 * calls them in-process with Fetch Requests.
 */
import { compose, type RequestHandler } from "@hattip/compose";
import type { HattipHandler } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import * as theirs from "@hattip/session";
import type * as OursModule from "hattip-session";
import { sealData, unsealData } from "iron-session";
import { BENCH_COOKIE_OPTIONS, BENCH_KEYS, SESSION_MAX_AGE_SECONDS } from "./fixtures.js";
import { legacyRedisClient } from "./legacy-redis.js";
import type { RedisLike } from "./round-trips.js";
import { baselineRoutes, routes, type SessionLike } from "./routes.js";
import { floorApp, redisFloorApp } from "./floor.js";
import { isFloor, type Scenario } from "./scenarios.js";

type Data = Record<string, unknown>;
type Ours = typeof OursModule;

export interface AppOptions {
  /** The hattip-session module to bench: the workspace build unless told otherwise (a before/after run). */
  ours?: Ours;
  /** Redis scenarios: the client every store of this app shares. */
  redis?: RedisLike;
  /** Counts each request the app answers, for the HTTP benchmark's per-request figures. */
  onAnswer?: () => void;
}

export const IRON_COOKIE = "iron";

export async function createApp(scenario: Scenario, options: AppOptions = {}): Promise<HattipHandler> {
  if (isFloor(scenario)) {
    const floor =
      scenario === "floor:redis"
        ? redisFloorApp(options.redis ?? missingRedis(scenario))
        : await floorApp(scenario === "floor:signed" ? "signed" : "encrypted", options.ours ?? (await import("hattip-session")));
    return compose(() => void options.onAnswer?.(), floor) as HattipHandler;
  }
  const app: RequestHandler = (ctx) => {
    const path = ctx.url.pathname;
    const route = scenario === "baseline" || scenario === "cookie-only" ? baselineRoutes[path] : routes[path];
    if (!route) return new Response("not found", { status: 404 });
    options.onAnswer?.();
    return route(ctx);
  };
  return compose(...(await middlewareOf(scenario, options)), app) as HattipHandler;
}

async function middlewareOf(scenario: Scenario, options: AppOptions): Promise<RequestHandler[]> {
  if (scenario === "baseline") return [];
  if (scenario === "cookie-only") return [cookie()];
  const cookieOptions = BENCH_COOKIE_OPTIONS;
  const [library, store] = scenario.split(":") as ["ours" | "theirs" | "iron", string];
  const redis = () => options.redis ?? missingRedis(scenario);

  if (library === "iron") return [cookie(), ironSession(BENCH_KEYS.ironPassword)];
  if (library === "ours") {
    const ours = options.ours ?? (await import("hattip-session"));
    const stores: Record<string, () => Promise<OursModule.SessionStore<Data>>> = {
      unsigned: async () => new ours.UnsignedCookieStore(),
      signed: async () => new ours.SignedCookieStore(await ours.SignedCookieStore.generateKeysFromBase64([BENCH_KEYS.hmac])),
      encrypted: async () => new ours.EncryptedCookieStore(await ours.EncryptedCookieStore.generateKeysFromBase64([BENCH_KEYS.aes])),
      memory: async () => new ours.UnsafeMemoryStore(),
      redis: async () => new ours.RedisSessionStore({ getClient: () => redis() as unknown as OursModule.RedisClientLike }),
    };
    return [cookie(), ours.session({ store: await stores[store]!(), cookieOptions }) as unknown as RequestHandler];
  }
  const stores: Record<string, () => Promise<theirs.SessionStore>> = {
    unsigned: async () => new theirs.SimpleCookieStore(),
    signed: async () => new theirs.SignedCookieStore(await theirs.SignedCookieStore.generateKeysFromBase64([BENCH_KEYS.hmac])),
    encrypted: async () => new theirs.EncryptedCookieStore(await theirs.EncryptedCookieStore.generateKeysFromBase64([BENCH_KEYS.aes])),
    memory: async () => new theirs.UnsafeMemorySessionStore(),
    redis: async () => {
      const client = legacyRedisClient(redis() as never);
      return new theirs.RedisSessionStore({ getClient: () => client });
    },
  };
  return [cookie(), theirs.session({ store: await stores[store]!(), defaultSessionData: {}, cookieOptions }) as RequestHandler];
}

/**
 * iron-session has no Hattip middleware; this is the smallest one around
 * its documented core (`unsealData`/`sealData`): unseal the cookie, hand
 * the data to the handler, seal it again when it changed.
 */
function ironSession(password: string): RequestHandler {
  const ironOptions = { password, ttl: SESSION_MAX_AGE_SECONDS };
  return async (ctx) => {
    const sealed = (ctx as unknown as { cookie: Record<string, string | undefined> }).cookie[IRON_COOKIE];
    const data: Data = sealed ? await unsealData<Data>(sealed, ironOptions) : {};
    const session: SessionLike = { data };
    (ctx as unknown as { session: SessionLike }).session = session;
    const before = JSON.stringify(data);
    const response = await ctx.next();
    if (JSON.stringify(session.data) === before) return response;
    const value = await sealData(session.data, ironOptions);
    const headers = new Headers(response.headers);
    headers.append("set-cookie", `${IRON_COOKIE}=${value}; Max-Age=${SESSION_MAX_AGE_SECONDS}; Path=/; HttpOnly; Secure; SameSite=Lax`);
    return new Response(response.body, { status: response.status, headers });
  };
}

function missingRedis(scenario: Scenario): never {
  throw new Error(`${scenario} needs a Redis client`);
}
