/**
 * session(): load the session, hand it to the handler as `ctx.session`,
 * then carry out what the end of the request decides (decision.ts). The
 * middleware knows nothing of where data lives (the store's job) nor of
 * cookie formats (the transport's).
 */
import type { RequestContext } from "@hattip/compose";
import { isThenable } from "./awaitable.js";
import { decideEndOfRequest, type EndOfRequest } from "./decision.js";
import { isSessionError, SessionSetupError } from "./errors.js";
import { lifetimePolicy } from "./lifetime.js";
import { recordAccess } from "./record-access.js";
import type { StoredEntry } from "./record-store.js";
import { withMutableHeaders } from "./response.js";
import { isStandardSchema, validateSessionData, type StandardSchemaV1 } from "./schema.js";
import { SessionHandle } from "./session-handle.js";
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
  const store = recordAccess<Record<string, unknown>>(options.store);
  const transport = sessionTransport(options, cookieName);
  const lifetime = lifetimePolicy(options.cookieOptions, options.rolling, options.absoluteLifetime);
  const hash: (data: Record<string, unknown>) => Awaitable<unknown> = options.hash ?? JSON.stringify;
  const makeDefaults = defaultsFactory(options.defaultSessionData ?? {});
  // The handle lives on the request context under a key of this middleware's own: no WeakMap entry per request.
  const handleKey = Symbol(`session handle: ${cookieName}`);

  /** The live session `id` names, checked against the absolute lifetime and the schema. */
  function validated(entry: StoredEntry<Record<string, unknown>> | null): Awaitable<StoredEntry<Record<string, unknown>> | null> {
    if (!entry || lifetime.isPastAbsolute(entry.record, Date.now())) return null;
    if (schema === undefined) return entry;
    // The schema may transform: its output, not the stored text, is what the handler starts from.
    return validateSessionData(schema, entry.record.data).then((data) => (data === null ? null : { record: { ...entry.record, data } }));
  }

  async function destroyed(id: string, ctx: RequestContext, response: Response): Promise<Response> {
    // A logout the store could not confirm (Redis down, or its replicas behind with `durability`)
    // answers the app's error response, and still clears the cookie: the browser forgets the session either way.
    const ended = await store.destroy(id, ctx, scope).then(
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

  async function written(decision: Written<Record<string, unknown>>, ctx: RequestContext, response: Response, now: number): Promise<Response> {
    const { record } = decision;
    const sending =
      decision.action === "create"
        ? store.create(record, ctx, scope, now)
        : decision.action === "update"
          ? store.update(decision.id, record, ctx, scope, now)
          : store.rotate(decision.id, record, ctx, scope, now);
    const sentId = isThenable(sending) ? await sending : sending;
    // The session was ended meanwhile: nothing was written, and the cookie is left alone, since the
    // browser may hold a newer session by now that clearing would end.
    if (sentId === null) return response;
    const mutable = withMutableHeaders(response);
    transport.write(ctx, mutable, sentId, record.expiresAt, now);
    return mutable;
  }

  const middleware = async function sessionMiddleware(ctx: RequestContext): Promise<Response> {
    const id = transport.read(ctx) || undefined;
    let loaded: StoredEntry<Record<string, unknown>> | null = null;
    if (id !== undefined) {
      const entry = store.load(id, ctx, scope);
      const checked = validated(isThenable(entry) ? await entry : entry);
      loaded = isThenable(checked) ? await checked : checked;
    }
    let data: Record<string, unknown>;
    if (loaded !== null) {
      data = loaded.record.data;
    } else {
      const defaults = makeDefaults(ctx);
      data = isThenable(defaults) ? await defaults : defaults;
    }
    // With the default hash, the JSON the store parsed is the hash: no need to stringify again.
    let hashBefore: unknown = options.hash === undefined ? loaded?.dataJson : undefined;
    if (hashBefore === undefined) {
      const hashed = hash(data);
      hashBefore = isThenable(hashed) ? await hashed : hashed;
    }
    const handle = new SessionHandle({
      data,
      meta: loaded?.record.meta,
      loadedId: loaded === null ? undefined : id,
      ctx,
      store,
    });
    (ctx as unknown as Record<symbol, unknown>)[handleKey] = handle;
    expose(ctx, name, handle);

    const response = await ctx.next();
    const now = Date.now();
    let changed = !handle.destroyed && handle.metaDirty;
    if (!handle.destroyed && !changed) {
      const hashed = hash(handle.data);
      changed = (isThenable(hashed) ? await hashed : hashed) !== hashBefore;
    }
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
    switch (decision.action) {
      case "leave":
        return response;
      case "destroy":
        return destroyed(decision.id, ctx, response);
      default:
        return written(decision, ctx, response, now);
    }
  } as SessionMiddleware<Record<string, unknown>, Record<string, unknown>>;

  middleware.of = (ctx) => {
    const handle = (ctx as unknown as Record<symbol, SessionHandle<Record<string, unknown>> | undefined>)[handleKey];
    if (!handle) {
      throw new SessionSetupError(
        "This session() middleware has not run for this request: add it with app.use() before the handler that calls .of(ctx).",
      );
    }
    return handle;
  };
  return middleware;
}

/** The decisions that write the session. */
type Written<Data> = Extract<EndOfRequest<Data>, { record: unknown }>;

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
