/**
 * session(): load the session, hand it to the handler as `ctx.session`,
 * then carry out what the end of the request decides (decision.ts). The
 * middleware knows nothing of where data lives (the store's job) nor of
 * cookie formats (the transport's).
 */
import type { RequestContext } from "@hattip/compose";
import { decideEndOfRequest, type EndOfRequest } from "./decision.js";
import { isSessionError, SessionSetupError } from "./errors.js";
import { lifetimePolicy } from "./lifetime.js";
import { recordAccess } from "./record-access.js";
import type { StoredEntry } from "./record-store.js";
import { withMutableHeaders } from "./response.js";
import { isStandardSchema, validateSessionData, type StandardSchemaV1 } from "./schema.js";
import { SessionHandle } from "./session-handle.js";
import { sessionObserver } from "./session-observer.js";
import { sessionTransport } from "./transport.js";
import type {
  Awaitable,
  FlashValues,
  NamedSessionData,
  NamedSessionFlashData,
  NamedSessionOptions,
  SchemaSessionOptions,
  Session,
  SessionData,
  SessionFlashData,
  SessionMiddleware,
  SessionOptions,
  SessionScope,
} from "./types.js";

declare module "@hattip/compose" {
  interface RequestContextExtensions {
    /** The session of the `session()` middleware that has no `name`. */
    session: Session<SessionData, FlashValues<SessionFlashData>>;
    /** Named sessions, by the `name` option of `session()`. */
    sessions: {
      [Name in keyof NamedSessionData]: Session<
        NamedSessionData[Name],
        FlashValues<Name extends keyof NamedSessionFlashData ? NamedSessionFlashData[Name] : object>
      >;
    };
  }
}

/**
 * Session middleware exposing `ctx.session`, typed by `interface SessionData`.
 *
 * @example
 * ```ts
 * import { cookie } from "@hattip/cookie";
 * import { session, EncryptedCookieStore } from "hattip-session";
 *
 * const keys = await EncryptedCookieStore.generateKeysFromBase64(process.env.SESSION_KEYS!.split(","));
 * app.use(cookie());
 * app.use(session({ store: new EncryptedCookieStore(keys) }));
 * app.post("/login", async (ctx) => {
 *   await ctx.session.regenerate();
 *   ctx.session.data.userId = "42";
 *   return Response.redirect(new URL("/", ctx.url), 303);
 * });
 * ```
 */
export function session(options: SessionOptions<SessionData>): SessionMiddleware<SessionData, FlashValues<SessionFlashData>>;
/**
 * Session middleware exposing `ctx.sessions[name]`, typed by `interface NamedSessionData`.
 *
 * @example
 * ```ts
 * app.use(session({ name: "preferences", store: new UnsignedCookieStore(), defaultSessionData: { theme: "light" } }));
 * // ctx.sessions.preferences.data.theme
 * ```
 */
export function session<Name extends keyof NamedSessionData & string>(
  options: NamedSessionOptions<Name>,
): SessionMiddleware<NamedSessionData[Name], FlashValues<Name extends keyof NamedSessionFlashData ? NamedSessionFlashData[Name] : object>>;
/**
 * Session middleware whose data is checked by a Standard Schema validator
 * (zod, valibot, arktype, ...) and typed by it: reach it with
 * `middleware.of(ctx)`, or as `ctx.sessions[name]` when it has a `name`.
 *
 * @example
 * ```ts
 * const Preferences = z.object({ theme: z.enum(["light", "dark"]) });
 * const preferences = session({
 *   name: "preferences",
 *   schema: Preferences,
 *   store: new UnsignedCookieStore(),
 *   defaultSessionData: { theme: "light" },
 * });
 * app.use(preferences);
 * app.get("/", (ctx) => new Response(preferences.of(ctx).data.theme));
 * ```
 */
export function session<Schema extends StandardSchemaV1, Flash = Record<string, unknown>>(
  options: SchemaSessionOptions<Schema>,
): SessionMiddleware<StandardSchemaV1.InferOutput<Schema>, Flash>;
// biome-ignore lint/suspicious/noExplicitAny: the overloads above carry the types
export function session(options: SessionOptions<any> & { name?: string; schema?: unknown }): SessionMiddleware<any, any> {
  if (!options?.store) throw new SessionSetupError("session() needs a `store`.");
  const { name } = options;
  if (name !== undefined && (typeof name !== "string" || name === "")) throw new SessionSetupError("session() `name` must be a non-empty string.");
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new SessionSetupError("session() `schema` must be a Standard Schema v1 validator (zod 3.24+, valibot 1, arktype 2, ...).");
  }
  const schema = options.schema as StandardSchemaV1<unknown, Record<string, unknown>> | undefined;
  const cookieName = options.cookieName ?? name ?? "session";
  const scope: SessionScope = { name: cookieName };
  const transport = sessionTransport(options, cookieName);
  const lifetime = lifetimePolicy(options.cookieOptions, options.rolling, options.absoluteLifetime);
  // Only with events, a tracer or a meter (here or on the store): otherwise the request pays nothing for them.
  const observer = sessionObserver({ options, store: options.store, scope, transport, lifetime });
  const access = recordAccess<Record<string, unknown>>(options.store);
  const store = observer ? observer.store(access) : access;
  const hash = options.hash ?? JSON.stringify;
  const makeDefaults = defaultsFactory(options.defaultSessionData ?? {});
  const handles = new WeakMap<RequestContext, SessionHandle<Record<string, unknown>>>();

  /** The live session `id` names, checked against the absolute lifetime and the schema. */
  async function load(id: string | undefined, ctx: RequestContext): Promise<StoredEntry<Record<string, unknown>> | null> {
    if (id === undefined) return null;
    const entry = await store.load(id, ctx, scope);
    if (!entry || lifetime.isPastAbsolute(entry.record, Date.now())) return null;
    if (schema === undefined) return entry;
    const data = await validateSessionData(schema, entry.record.data);
    // The schema may transform: its output, not the stored text, is what the handler starts from.
    return data === null ? null : { record: { ...entry.record, data } };
  }

  async function carryOut(decision: EndOfRequest<Record<string, unknown>>, ctx: RequestContext, response: Response, now: number): Promise<Response> {
    switch (decision.action) {
      case "leave":
        return response;
      case "destroy": {
        // A logout the store could not confirm (Redis down, or its replicas behind with `durability`)
        // answers the app's error response, and still clears the cookie: the browser forgets the session either way.
        const ended = await store.destroy(decision.id, ctx, scope).then(
          () => response,
          async (error: unknown) => {
            if (!isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE") || typeof ctx.handleError !== "function") throw error;
            // An error handler that does not answer this error leaves it to compose, as any other.
            const answer: unknown = await ctx.handleError(error);
            if (!(answer instanceof Response)) throw error;
            return answer;
          },
        );
        const mutable = withMutableHeaders(ended);
        transport.clear(ctx, mutable);
        return mutable;
      }
      case "create":
      case "update":
      case "rotate": {
        const { record } = decision;
        const sentId =
          decision.action === "create"
            ? await store.create(record, ctx, scope, now)
            : decision.action === "update"
              ? await store.update(decision.id, record, ctx, scope, now)
              : await store.rotate(decision.id, record, ctx, scope, now);
        // The session was ended meanwhile: nothing was written, and the cookie is left alone, since the
        // browser may hold a newer session by now that clearing would end.
        if (sentId === null) return response;
        const mutable = withMutableHeaders(response);
        transport.write(ctx, mutable, sentId, record.expiresAt, now);
        return mutable;
      }
    }
  }

  const middleware = async function sessionMiddleware(ctx: RequestContext): Promise<Response> {
    const id = transport.read(ctx) || undefined;
    const loaded = await load(id, ctx);
    const data = loaded ? loaded.record.data : await makeDefaults(ctx);
    // With the default hash, the JSON the store parsed is the hash: no need to stringify again.
    const hashBefore = (options.hash === undefined && loaded?.dataJson) || (await hash(data));
    const handle = new SessionHandle({
      data,
      meta: loaded?.record.meta,
      loadedId: loaded ? id : undefined,
      ctx,
      store,
    });
    handles.set(ctx, handle);
    expose(ctx, name, handle);

    const response = await ctx.next();
    const now = Date.now();
    const changed = !handle.destroyed && (handle.metaDirty || (await hash(handle.data)) !== hashBefore);
    const decision = decideEndOfRequest(
      {
        id,
        loaded: loaded?.record ?? null,
        destroyed: handle.destroyed,
        regenerated: handle.regenerated,
        changed,
        keepsRecords: store.keepsRecords,
        data: handle.data,
        meta: handle.nextMeta(),
        now,
      },
      lifetime,
    );
    return carryOut(decision, ctx, response, now);
  } as SessionMiddleware<Record<string, unknown>, Record<string, unknown>>;

  middleware.of = (ctx) => {
    const handle = handles.get(ctx);
    if (!handle) {
      throw new SessionSetupError(
        "This session() middleware has not run for this request: add it with app.use() before the handler that calls .of(ctx).",
      );
    }
    return handle;
  };
  return observer ? observer.middleware(middleware) : middleware;
}

function defaultsFactory<Data>(defaults: Data | ((ctx: RequestContext) => Awaitable<Data>)): (ctx: RequestContext) => Awaitable<Data> {
  if (typeof defaults === "function") return defaults as (ctx: RequestContext) => Awaitable<Data>;
  // A deep copy per request: no two requests may share a nested object.
  return () => structuredClone(defaults);
}

function expose(ctx: RequestContext, name: string | undefined, handle: SessionHandle<Record<string, unknown>>) {
  if (name === undefined) {
    (ctx as { session: unknown }).session = handle;
  } else {
    const holder = ctx as { sessions?: Record<string, unknown> };
    holder.sessions ??= {};
    holder.sessions[name] = handle;
  }
}
