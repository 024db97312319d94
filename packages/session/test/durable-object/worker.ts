/**
 * A Hattip app on Cloudflare Workers with DurableObjectSessionStore, bundled
 * by the Durable Object tests and run in workerd through Miniflare, with the
 * SESSIONS binding on a real SQLite-backed Durable Object class. It imports
 * the built package, as an app would.
 *
 * The bound class is the package's SessionDurableObject with a few test
 * calls beside the real ones (chosen by a header no store sends): count an
 * object's rows and read its alarm, hold the object busy, or abort it, the
 * faults workerd can produce for real. /do-calls counts the store's calls,
 * by operation, so that tests can pin what each request costs. A `gate`
 * query parameter parks a request once its session is loaded; `linger`
 * keeps its context alive after it answers (the app's own waitUntil work).
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { compose, type RequestContext, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import {
  DurableObjectSessionStore,
  SessionDurableObject,
  SessionSetupError,
  SessionStoreUnavailableError,
  session,
  type DurableObjectNamespaceLike,
  type SessionDurableObjectState,
} from "hattip-session";
import { storeContract } from "../../test-runtimes/suite/store-contract.js";
import { TestList } from "../../test-runtimes/suite/harness.js";
import { userTagSecret } from "../../test-runtimes/suite/user-tag-secret.js";
import { enterGate, gateEndpoints } from "../support/worker-gates.js";

interface Env {
  SESSIONS: DurableObjectNamespaceLike;
  /** The same class bound without SQLite storage: the setup mistake the store must name. */
  KV_BACKED: DurableObjectNamespaceLike;
}

interface TestState extends SessionDurableObjectState {
  blockConcurrencyWhile<T>(work: () => Promise<T>): Promise<T>;
  abort(reason?: string): void;
  storage: SessionDurableObjectState["storage"] & { sql?: { exec(query: string): { toArray(): Record<string, unknown>[] } } };
}

export class InspectableSessionObject extends SessionDurableObject {
  readonly #state: TestState;

  constructor(state: TestState, env: unknown) {
    super(state, env);
    this.#state = state;
  }

  override async fetch(request: Request): Promise<Response> {
    switch (request.headers.get("x-test")) {
      case "inspect": {
        const sql = this.#state.storage.sql!;
        const tables = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").toArray();
        const rows = tables.length === 0 ? 0 : (sql.exec("SELECT COUNT(*) AS n FROM sessions").toArray()[0]!["n"] as number);
        return Response.json({ table: tables.length > 0, rows, alarm: await this.#state.storage.getAlarm() });
      }
      case "hold": {
        const ms = Number(request.headers.get("x-test-ms"));
        // Busy as an object is while it runs a long blockConcurrencyWhile (a migration, a slow start-up): no call gets in.
        void this.#state.blockConcurrencyWhile(() => new Promise((resolve) => setTimeout(resolve, ms)));
        return Response.json({ holding: ms });
      }
      case "abort":
        this.#state.abort("aborted by the test");
        return Response.json({ aborted: true });
      default:
        return super.fetch(request);
    }
  }
}

const env = (ctx: RequestContext) => (ctx.platform as { env: Env }).env;

/** Store calls by operation since the last /do-calls. */
let calls: Record<string, number> = {};
const counted = (ctx: RequestContext | undefined): DurableObjectNamespaceLike => {
  const namespace = env(ctx!).SESSIONS;
  return {
    idFromName: (name) => namespace.idFromName(name),
    get: (id) => {
      const stub = namespace.get(id);
      return {
        fetch: (url, init) => {
          const op = (JSON.parse(init.body) as { op: string }).op;
          calls[op] = (calls[op] ?? 0) + 1;
          return stub.fetch(url, init);
        },
      };
    },
  };
};

const store = new DurableObjectSessionStore({ userTagSecret, getNamespace: counted, timeout: 1000 });
const mainSession = session({ store });
const shortSession = session({ store, cookieName: "short", cookieOptions: { maxAge: 1 } });
const kvBackedSession = session({
  store: new DurableObjectSessionStore({ userTagSecret, getNamespace: (ctx) => env(ctx!).KV_BACKED }),
  cookieName: "kv-backed",
});

interface Handle {
  data: { count?: number; user?: string };
  isFresh: boolean;
  userId: string | undefined;
  regenerate(): Promise<void>;
  destroy(): Promise<void>;
  bindUser(userId: string): void;
  listSessions(): Promise<{ handle: string; current: boolean; device: string }[]>;
  revokeSession(handle: string): Promise<void>;
  revokeOtherSessions(): Promise<void>;
}

const routes: RequestHandler = async (ctx) => {
  const s = ctx.session as unknown as Handle;
  const { searchParams } = ctx.url;
  // A `gate` parks the request here, its session loaded (test/support/worker-gates.ts).
  const gate = searchParams.get("gate");
  if (gate) await enterGate(gate);
  // `linger` keeps the request's context alive that long after it answers, as an app's own waitUntil work does.
  const linger = Number(searchParams.get("linger") ?? 0);
  if (linger > 0) ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, linger)));
  switch (ctx.url.pathname.replace(/^\/(short|kv-backed)/, "")) {
    case "/read":
      return Response.json({ data: s.data, isFresh: s.isFresh, userId: s.userId ?? null });
    case "/increment":
      s.data.count = (s.data.count ?? 0) + 1;
      return Response.json(s.data);
    case "/login": {
      const user = searchParams.get("user") ?? "demo";
      s.bindUser(user);
      s.data.user = user;
      return Response.json(s.data);
    }
    case "/logout":
      await s.destroy();
      return Response.json({ ok: true });
    case "/sessions":
      return Response.json(await s.listSessions());
    case "/revoke":
      await s.revokeSession(searchParams.get("handle") ?? "");
      return Response.json({ ok: true });
    case "/revoke-others":
      await s.revokeOtherSessions();
      return Response.json({ ok: true });
    default:
      return new Response("not found", { status: 404 });
  }
};

/** A test call to the object named `name`, through the real binding. */
async function testCall(ctx: RequestContext, name: string, test: string, headers: Record<string, string> = {}): Promise<Response> {
  const namespace = env(ctx).SESSIONS;
  const stub = namespace.get(namespace.idFromName(name) as never) as unknown as { fetch(url: string, init: RequestInit): Promise<Response> };
  return stub.fetch("https://test/", { method: "POST", headers: { "x-test": test, ...headers } });
}

const app = compose(
  (ctx) => {
    ctx.handleError = (error) => {
      if (error instanceof SessionStoreUnavailableError) return new Response(`sessions are unavailable: ${error.message}`, { status: 503 });
      if (error instanceof SessionSetupError) return new Response(`setup: ${error.message}`, { status: 500 });
      return new Response(`unexpected: ${String(error)}`, { status: 500 });
    };
  },
  async (ctx) => {
    const { pathname, searchParams } = ctx.url;
    if (pathname === "/contract") {
      // The one store contract, run here because the binding exists only inside workerd.
      const tests = new TestList();
      const make = (secret: string | undefined) =>
        new DurableObjectSessionStore<Record<string, unknown>>({ userTagSecret: secret, getNamespace: (c) => env(c!).SESSIONS });
      const contractStore = make(userTagSecret);
      storeContract(
        tests,
        {
          name: "DurableObjectSessionStore in workerd",
          make: async () => contractStore,
          withUserTagSecret: async (secret) => make(secret),
          revocable: true,
          indexesUsers: true,
        },
        () => ctx,
      );
      return Response.json(await tests.run());
    }
    const gateAnswer = gateEndpoints(ctx.url);
    if (gateAnswer) return gateAnswer;
    if (pathname === "/do-calls") {
      const snapshot = calls;
      calls = {};
      return Response.json(snapshot);
    }
    const object = searchParams.get("object");
    if (pathname === "/test/inspect" && object) return testCall(ctx, object, "inspect");
    if (pathname === "/test/hold" && object) {
      // The object answers only once the hold is over: let the call run on, and give it time to reach the object.
      ctx.waitUntil(testCall(ctx, object, "hold", { "x-test-ms": searchParams.get("ms") ?? "0" }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      return Response.json({ holding: true });
    }
    if (pathname === "/test/abort" && object)
      return testCall(ctx, object, "abort").catch((error: unknown) => new Response(String(error), { status: 502 }));
  },
  cookie(),
  (ctx) => {
    if (ctx.url.pathname.startsWith("/short/")) return shortSession(ctx);
    if (ctx.url.pathname.startsWith("/kv-backed/")) return kvBackedSession(ctx);
    return mainSession(ctx);
  },
  routes,
);

export default { fetch: cloudflareWorkersAdapter(app) };
// Bound as KV_BACKED, without SQLite storage.
export { SessionDurableObject };
