/**
 * session(): load the session, hand it to the handler as `ctx.session`,
 * then decide what the response must carry. The middleware knows nothing
 * of where data lives (the store's job) nor of cookie formats (the
 * transport's).
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError } from "./errors.js";
import { lifetimePolicy } from "./lifetime.js";
import { recordAccess } from "./record-access.js";
import { withMutableHeaders } from "./response.js";
import { jsonSourceOf } from "./stores/serialization.js";
import { sessionTransport } from "./transport.js";
import type { Awaitable, NamedSessionData, NamedSessionOptions, Session, SessionData, SessionOptions, SessionRecord } from "./types.js";

type Outcome = "keep" | "regenerate" | "destroy";

declare module "@hattip/compose" {
  interface RequestContextExtensions {
    /** The session of the `session()` middleware that has no `name`. */
    session: Session<SessionData>;
    /** Named sessions, by the `name` option of `session()`. */
    sessions: { [Name in keyof NamedSessionData]: Session<NamedSessionData[Name]> };
  }
}

/** Session middleware exposing `ctx.session`. */
export function session(options: SessionOptions<SessionData>): (ctx: RequestContext) => Promise<Response>;
/** Session middleware exposing `ctx.sessions[name]`. */
export function session<Name extends keyof NamedSessionData & string>(
  options: NamedSessionOptions<Name>,
): (ctx: RequestContext) => Promise<Response>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads above carry the types
export function session(options: SessionOptions<any> & { name?: string }): (ctx: RequestContext) => Promise<Response> {
  if (!options?.store) throw new SessionSetupError("session() needs a `store`.");
  const { name } = options;
  const cookieName = options.cookieName ?? name ?? "session";
  const store = recordAccess(options.store);
  const transport = sessionTransport(options, cookieName);
  const lifetime = lifetimePolicy(options.cookieOptions, options.rolling, options.absoluteLifetime);
  const hash = options.hash ?? JSON.stringify;
  const makeDefaults = defaultsFactory(options.defaultSessionData ?? {});

  return async function sessionMiddleware(ctx) {
    const id = transport.read(ctx) || undefined;
    let loaded = id === undefined ? null : await store.load(id, ctx);
    if (loaded && lifetime.isPastAbsolute(loaded, Date.now())) loaded = null;

    let data = loaded ? loaded.data : await makeDefaults(ctx);
    // With the default hash, the JSON the store just parsed is the hash: no need to stringify again.
    const hashBefore = (options.hash === undefined && loaded && jsonSourceOf(loaded.data)) || (await hash(data));
    let outcome = "keep" as Outcome;
    const handle: Session<Record<string, unknown>> = {
      get data() {
        return data;
      },
      set data(value) {
        data = value;
      },
      isFresh: loaded === null,
      async regenerate() {
        outcome = "regenerate";
      },
      async destroy() {
        outcome = "destroy";
      },
    };
    expose(ctx, name, handle);

    let response = await ctx.next();
    const now = Date.now();

    if (outcome === "destroy" || (outcome === "regenerate" && loaded && id !== undefined)) {
      // The old ID dies now, whatever comes next: regenerate must not leave it valid.
      if (loaded && id !== undefined) await store.destroy(id, ctx);
      if (outcome === "destroy") {
        if (id === undefined) return response;
        response = withMutableHeaders(response);
        transport.clear(ctx, response);
        return response;
      }
    }

    let record: SessionRecord<Record<string, unknown>> | null = null;
    let saveAs: string | null = null;
    if (outcome === "regenerate") {
      record = { data, createdAt: now, expiresAt: lifetime.expiresAt(now, now) };
    } else if (!loaded) {
      if ((await hash(data)) !== hashBefore) {
        record = { data, createdAt: now, expiresAt: lifetime.expiresAt(now, now) };
      }
    } else if ((await hash(data)) !== hashBefore || (store.keepsTimestamps && lifetime.isRefreshDue(loaded, now))) {
      record = { data, createdAt: loaded.createdAt, expiresAt: lifetime.expiresAt(loaded.createdAt, now) };
      saveAs = id ?? null;
    }
    if (!record) return response;

    const newId = await store.save(saveAs, record, ctx, now);
    response = withMutableHeaders(response);
    // Rounded up: a cookie that outlives its record by under a second is harmless (the server rejects it),
    // while rounding down would delete a still-valid session in its last second.
    transport.write(ctx, response, newId, Math.ceil((record.expiresAt - now) / 1000));
    return response;
  };
}

function defaultsFactory<Data>(
  defaults: Data | ((ctx: RequestContext) => Awaitable<Data>),
): (ctx: RequestContext) => Awaitable<Data> {
  if (typeof defaults === "function") return defaults as (ctx: RequestContext) => Awaitable<Data>;
  // A deep copy per request: no two requests may share a nested object.
  return () => structuredClone(defaults);
}

function expose(ctx: RequestContext, name: string | undefined, handle: Session<Record<string, unknown>>) {
  if (name === undefined) {
    (ctx as { session: unknown }).session = handle;
  } else {
    const holder = ctx as { sessions?: Record<string, unknown> };
    holder.sessions ??= {};
    holder.sessions[name] = handle;
  }
}
