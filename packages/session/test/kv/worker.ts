/**
 * A Hattip app on Cloudflare Workers with KvSessionStore, bundled by the
 * KV tests and run in workerd through Miniflare. It imports the built
 * package, as an app would. Paths under /short/ use a session that lives
 * one second, below KV's 60-second minimum TTL; paths under /broken/ use
 * keys longer than KV accepts, so that every KV call fails; paths under
 * /rolling/ refresh a session at most every half second. Paths under /user/
 * bind, list and revoke a user's sessions; a `gate` query parameter parks
 * the request in its handler, a `store-gate` one parks one of its KV calls
 * (`gate-at`, its first write by default).
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { compose, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { KvSessionStore, SessionStoreUnavailableError, session, type KvNamespaceLike, type Session } from "hattip-session";
import { storeContract } from "../../test-runtimes/suite/store-contract.js";
import { TestList } from "../../test-runtimes/suite/harness.js";
import { userTagSecret } from "../../test-runtimes/suite/user-tag-secret.js";
import { enterGate, gateEndpoints } from "../support/worker-gates.js";

interface Data {
  count?: number;
  user?: string;
}
type Handle = Session<Data, Record<string, unknown>>;

const sessions = (ctx: RequestContext) => (ctx.platform as { env: { SESSIONS: KvNamespaceLike } }).env.SESSIONS;

/** KV calls made by the main store since the last /kv-ops, so that tests can pin the cost of each request. */
const kvOps = { get: 0, put: 0, delete: 0, list: 0 };
const counted = (ctx: RequestContext): KvNamespaceLike => {
  const namespace = sessions(ctx);
  return {
    get: (key) => (kvOps.get++, namespace.get(key)),
    put: (key, value, options) => (kvOps.put++, namespace.put(key, value, options)),
    delete: (key) => (kvOps.delete++, namespace.delete(key)),
    list: (options) => (kvOps.list++, namespace.list(options)),
  };
};
/**
 * The counted namespace; with `store-gate`, the request's KV call named by
 * `gate-at` (`<get|put|delete|list>:<n>`, the n-th call of that kind in
 * the request; by default `put:1`, its first write, after a revoke's first
 * listing) waits at that gate before it is made.
 */
const callsMade = new WeakMap<RequestContext, Record<string, number>>();
const maybeGated = (ctx: RequestContext): KvNamespaceLike => {
  const namespace = counted(ctx);
  const name = ctx.url.searchParams.get("store-gate");
  if (!name) return namespace;
  const [op = "put", nth = "1"] = (ctx.url.searchParams.get("gate-at") ?? "put:1").split(":");
  // The store asks for the namespace before every call: count the request's calls, not this wrapper's.
  let made = callsMade.get(ctx);
  if (!made) callsMade.set(ctx, (made = {}));
  const hold = async (kind: keyof KvNamespaceLike) => {
    const count = (made[kind] ?? 0) + 1;
    made[kind] = count;
    if (kind === op && count === Number(nth)) await enterGate(name);
  };
  return {
    get: async (key) => (await hold("get"), namespace.get(key)),
    put: async (key, value, options) => (await hold("put"), namespace.put(key, value, options)),
    delete: async (key) => (await hold("delete"), namespace.delete(key)),
    list: async (options) => (await hold("list"), namespace.list(options)),
  };
};

const store = new KvSessionStore({ userTagSecret, getStore: maybeGated });
const longSession = session({ store });
const shortSession = session({ store, cookieName: "short", cookieOptions: { maxAge: 1 } });
const rollingSession = session({ store, cookieName: "rolling", cookieOptions: { maxAge: 120 }, rolling: { refreshInterval: 0.5 } });
const brokenSession = session({
  store: new KvSessionStore({ userTagSecret, getStore: sessions, prefix: "x".repeat(600) }),
  cookieName: "broken",
});

/**
 * Lets a test hold a request inside its handler while others run. A flag
 * polled by the waiting request itself: workerd does not let one request
 * resume another's continuation.
 */
const slowWrite = { waiting: false, released: false };

const routes: RequestHandler = async (ctx) => {
  const s = ctx.session as unknown as Handle;
  const gate = ctx.url.searchParams.get("gate");
  if (gate) await enterGate(gate);
  switch (ctx.url.pathname.replace(/^\/(short|broken|rolling)/, "")) {
    case "/read":
      return Response.json({ data: s.data, isFresh: s.isFresh });
    case "/increment":
      s.data.count = (s.data.count ?? 0) + 1;
      return Response.json(s.data);
    case "/login":
      await s.regenerate();
      s.data.user = ctx.url.searchParams.get("user") ?? "demo";
      return Response.json(s.data);
    case "/logout":
      await s.destroy();
      return Response.json({ ok: true });
    case "/user/login": {
      const user = ctx.url.searchParams.get("user") ?? "ada";
      s.bindUser(user);
      s.data.user = user;
      return Response.json({ user });
    }
    case "/user/whoami":
      return Response.json({ user: s.userId ?? null, isFresh: s.isFresh });
    case "/user/touch":
      return Response.json({ isFresh: s.isFresh });
    case "/user/sessions":
      return Response.json(await s.listSessions());
    case "/user/revoke":
      await s.revokeSession(ctx.url.searchParams.get("handle") ?? "");
      return Response.json({ ok: true });
    case "/user/revoke-others":
      await s.revokeOtherSessions();
      return Response.json({ ok: true });
    case "/user/revoke-all":
      // The store's own API, as a job outside any session would call it.
      await store.revokeUserSessions(ctx.url.searchParams.get("user") ?? "", ctx);
      return Response.json({ ok: true });
    case "/slow-write":
      slowWrite.waiting = true;
      slowWrite.released = false;
      for (let waited = 0; !slowWrite.released && waited < 10_000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      slowWrite.waiting = false;
      s.data.count = 99;
      return Response.json(s.data);
    default:
      return new Response("not found", { status: 404 });
  }
};

const app = compose(
  (ctx) => {
    ctx.handleError = (error) =>
      error instanceof SessionStoreUnavailableError
        ? new Response("sessions are unavailable", { status: 503 })
        : new Response(`unexpected: ${String(error)}`, { status: 500 });
  },
  async (ctx) => {
    if (ctx.url.pathname === "/contract") {
      // The one store contract, run here because the KV binding exists only inside workerd.
      const tests = new TestList();
      const make = (secret: string | undefined) =>
        new KvSessionStore<Record<string, unknown>>({ userTagSecret: secret, getStore: counted, prefix: "contract:" });
      const contractStore = make(userTagSecret);
      storeContract(
        tests,
        {
          name: "KvSessionStore in workerd",
          make: async () => contractStore,
          withUserTagSecret: async (secret) => make(secret),
          revocable: true,
          indexesUsers: true,
        },
        () => ctx,
      );
      return Response.json(await tests.run());
    }
    if (ctx.url.pathname === "/kv-ops") {
      const snapshot = { ...kvOps };
      Object.assign(kvOps, { get: 0, put: 0, delete: 0, list: 0 });
      return Response.json(snapshot);
    }
    if (ctx.url.pathname === "/slow-write-waiting") return Response.json({ waiting: slowWrite.waiting });
    const gateAnswer = gateEndpoints(ctx.url);
    if (gateAnswer) return gateAnswer;
    if (ctx.url.pathname === "/release") {
      slowWrite.released = true;
      return Response.json({ released: slowWrite.waiting });
    }
  },
  cookie(),
  (ctx) => {
    if (ctx.url.pathname.startsWith("/short/")) return shortSession(ctx);
    if (ctx.url.pathname.startsWith("/broken/")) return brokenSession(ctx);
    if (ctx.url.pathname.startsWith("/rolling/")) return rollingSession(ctx);
    return longSession(ctx);
  },
  routes,
);

export default { fetch: cloudflareWorkersAdapter(app) };
