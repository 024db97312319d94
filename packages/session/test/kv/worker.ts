/**
 * A Hattip app on Cloudflare Workers with KvSessionStore, bundled by the
 * KV tests and run in workerd through Miniflare. It imports the built
 * package, as an app would. Paths under /short/ use a session that lives
 * one second, below KV's 60-second minimum TTL; paths under /broken/ use
 * keys longer than KV accepts, so that every KV call fails.
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { compose, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { KvSessionStore, SessionStoreUnavailableError, session, type KvNamespaceLike } from "hattip-session";
import { storeContract } from "../../test-runtimes/suite/store-contract.js";
import { TestList } from "../../test-runtimes/suite/harness.js";

interface Data {
  count?: number;
  user?: string;
}
interface Handle {
  data: Data;
  isFresh: boolean;
  regenerate(): Promise<void>;
  destroy(): Promise<void>;
}

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
const store = new KvSessionStore({ getStore: counted });
const longSession = session({ store });
const shortSession = session({ store, cookieName: "short", cookieOptions: { maxAge: 1 } });
const brokenSession = session({
  store: new KvSessionStore({ getStore: sessions, prefix: "x".repeat(600) }),
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
  switch (ctx.url.pathname.replace(/^\/(short|broken)/, "")) {
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
      const contractStore = new KvSessionStore<Record<string, unknown>>({ getStore: counted, prefix: "contract:" });
      storeContract(tests, { name: "KvSessionStore in workerd", make: async () => contractStore, revocable: true, indexesUsers: true }, () => ctx);
      return Response.json(await tests.run());
    }
    if (ctx.url.pathname === "/kv-ops") {
      const snapshot = { ...kvOps };
      Object.assign(kvOps, { get: 0, put: 0, delete: 0, list: 0 });
      return Response.json(snapshot);
    }
    if (ctx.url.pathname === "/slow-write-waiting") return Response.json({ waiting: slowWrite.waiting });
    if (ctx.url.pathname === "/release") {
      slowWrite.released = true;
      return Response.json({ released: slowWrite.waiting });
    }
  },
  cookie(),
  (ctx) => {
    if (ctx.url.pathname.startsWith("/short/")) return shortSession(ctx);
    if (ctx.url.pathname.startsWith("/broken/")) return brokenSession(ctx);
    return longSession(ctx);
  },
  routes,
);

export default { fetch: cloudflareWorkersAdapter(app) };
