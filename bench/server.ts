/**
 * One app of the HTTP benchmark, in its own process so that the load
 * generator does not share its event loop:
 *
 *   node --import tsx bench/server.ts <scenario> [redis-url]
 *
 * Prints `listening <port>` once ready. Routes: GET /login (stores the
 * typical session), GET /read (reads ctx.session.data), GET /write
 * (increments a counter) and GET /__bench/stats: requests answered so far
 * and calls to crypto.subtle.importKey since start (counted by wrapping it
 * before any store exists), as JSON.
 */
import { countKeyImports } from "./key-import-counter.js";
const keyImports = countKeyImports();

import { createServer } from "@hattip/adapter-node";
import { compose, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import * as theirs from "@hattip/session";
import * as ours from "hattip-session";
import { createClient } from "redis";
import { legacyRedisClient } from "./legacy-redis.js";
import { benchKeys, SESSION_MAX_AGE_SECONDS, typicalSession } from "./fixtures.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

const [scenario, redisUrl] = process.argv.slice(2) as [Scenario, string | undefined];
if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}; one of ${SCENARIOS.join(", ")}`);

type Data = Record<string, unknown>;
const sessionOf = (ctx: RequestContext) => (ctx as unknown as { session: { data: Data } }).session;

const routes: Record<string, (ctx: RequestContext) => Response> = {
  "/login": (ctx) => {
    sessionOf(ctx).data = typicalSession();
    return new Response("logged in");
  },
  "/read": (ctx) => new Response(String(sessionOf(ctx).data.name ?? "anonymous")),
  "/write": (ctx) => {
    const data = sessionOf(ctx).data;
    data.count = Number(data.count ?? 0) + 1;
    return new Response(String(data.count));
  },
};
const baselineRoutes: Record<string, () => Response> = {
  "/login": () => new Response("logged in"),
  "/read": () => new Response("anonymous"),
  "/write": () => new Response("1"),
};

// Counted by the server, so per-request figures include the requests still
// in flight when autocannon stopped counting.
let answered = 0;
const app: RequestHandler = (ctx) => {
  const path = ctx.url.pathname;
  if (path === "/__bench/stats") return Response.json({ answered, keyImports: keyImports.count });
  const route = scenario === "baseline" ? baselineRoutes[path] : routes[path];
  if (!route) return new Response("not found", { status: 404 });
  answered++;
  return route(ctx);
};

async function sessionMiddleware(): Promise<RequestHandler[]> {
  if (scenario === "baseline") return [];
  const keys = await benchKeys();
  const [library, store] = scenario.split(":") as ["ours" | "theirs", string];
  const cookieOptions = { maxAge: SESSION_MAX_AGE_SECONDS };
  const redis = async () => {
    if (!redisUrl) throw new Error(`${scenario} needs a Redis URL`);
    const client = createClient({ url: redisUrl });
    await client.connect();
    return client;
  };

  if (library === "ours") {
    const stores: Record<string, () => Promise<ours.SessionStore<Data>>> = {
      unsigned: async () => new ours.UnsignedCookieStore(),
      signed: async () => new ours.SignedCookieStore(keys.hmac),
      encrypted: async () => new ours.EncryptedCookieStore(keys.aes),
      memory: async () => new ours.UnsafeMemoryStore(),
      redis: async () => {
        const client = await redis();
        return new ours.RedisSessionStore({ getClient: () => client });
      },
    };
    return [cookie(), ours.session({ store: await stores[store]!(), cookieOptions }) as RequestHandler];
  }
  const stores: Record<string, () => Promise<theirs.SessionStore>> = {
    unsigned: async () => new theirs.SimpleCookieStore(),
    signed: async () => new theirs.SignedCookieStore(keys.hmac),
    encrypted: async () => new theirs.EncryptedCookieStore(keys.aes),
    memory: async () => new theirs.UnsafeMemorySessionStore(),
    redis: async () => {
      const client = legacyRedisClient(await redis());
      return new theirs.RedisSessionStore({ getClient: () => client });
    },
  };
  return [
    cookie(),
    theirs.session({ store: await stores[store]!(), defaultSessionData: {}, cookieOptions }) as RequestHandler,
  ];
}

const handler = compose(...(await sessionMiddleware()), app);
const server = createServer(handler);
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("server has no port");
  process.stdout.write(`listening ${address.port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
