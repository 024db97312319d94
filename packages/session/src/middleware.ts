/**
 * session(): load the session, hand it to the handler as `ctx.session`,
 * then carry out what the end of the request decides (decision.ts). The
 * middleware knows nothing of where data lives (the store's job) nor of
 * cookie formats (the transport's).
 */
import type { RequestContext } from "@hattip/compose";
import { isThenable, settle } from "./awaitable.js";
import { sameJson } from "./data-json.js";
import { decideEndOfRequest, type EndOfRequest } from "./decision.js";
import { isSessionError, SessionSetupError } from "./errors.js";
import { lifetimePolicy } from "./lifetime.js";
import { recordAccess } from "./record-access.js";
import type { StoredEntry } from "./record-store.js";
import { withMutableHeaders } from "./response.js";
import { isStandardSchema, validateSessionData, type StandardSchemaV1 } from "./schema.js";
import { sessionCache, type CachedCopy, type CopyOrigin } from "./session-cache.js";
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
  SessionMeta,
  SessionMiddleware,
  SessionOptions,
  SessionRecord,
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
  const hash: (data: unknown) => Awaitable<unknown> = options.hash ?? JSON.stringify;
  const makeDefaults = defaultsFactory(options.defaultSessionData ?? {});
  // The handle lives on the request context under a key of this middleware's own: no WeakMap entry per request.
  const handleKey = Symbol(`session handle: ${cookieName}`);
  const cache =
    options.cache === undefined
      ? undefined
      : sessionCache(options.cache, store.codec, transport, cookieName, options.getSessionId !== undefined || options.setSessionId !== undefined);

  /** A loaded entry if it may be used at `now`: within the absolute lifetime, and valid by the schema. */
  function accept(entry: StoredEntry<Record<string, unknown>> | null, now: number): Awaitable<StoredEntry<Record<string, unknown>> | null> {
    if (!entry || lifetime.isPastAbsolute(entry.record, now)) return null;
    if (schema === undefined) return entry;
    // The schema may transform: its output, not the stored text, is what the handler starts from.
    return validateSessionData(schema, entry.record.data).then((data) => (data === null ? null : { record: { ...entry.record, data } }));
  }

  /**
   * The session `id` names: from a cached copy where one answers, otherwise
   * from the store. At once when the store answers at once (a cookie, the
   * memory store) and no schema or copy is involved: the request then pays
   * no promise for it.
   */
  function open(id: string | undefined, ctx: RequestContext): Awaitable<Opened> {
    if (id === undefined) return NOTHING_OPENED;
    if (cache?.answers(ctx) === true) return openFromCopy(id, ctx);
    const readAt = Date.now();
    const stored = store.load(id, ctx, scope);
    // A store that answered at once answered at `readAt`: no second look at the clock.
    return isThenable(stored)
      ? stored.then((found) => opened(id, found, undefined, readAt, Date.now()))
      : opened(id, stored, undefined, readAt, readAt);
  }

  async function openFromCopy(id: string, ctx: RequestContext): Promise<Opened> {
    const copy = await cache!.read(ctx, id, Date.now());
    const loaded = copy && (await accept(copy.entry, Date.now()));
    if (copy && loaded) {
      store.loadedFromCopy?.(id, copy.entry, ctx);
      return { source: "copy", copy, loaded };
    }
    const readAt = Date.now();
    const stored = await store.load(id, ctx, scope);
    return opened(id, stored, "read", readAt, Date.now());
  }

  /** What a store read opened: the entry if it may be used, and what the copies need after it. */
  function opened(
    id: string,
    stored: StoredEntry<Record<string, unknown>> | null,
    origin: CopyOrigin | undefined,
    readAt: number,
    answeredAt: number,
  ): Awaitable<Opened> {
    const accepted = accept(stored, answeredAt);
    if (isThenable(accepted))
      return accepted.then((loaded) => ({ source: "store", loaded, upkeep: upkeepAfterRead(id, stored, loaded, origin, readAt) }));
    return { source: "store", loaded: accepted, upkeep: upkeepAfterRead(id, stored, accepted, origin, readAt) };
  }

  /** What the copies need after a store read: a copy of what it found (`origin`), or to go when it found no session. */
  function upkeepAfterRead(
    id: string,
    stored: StoredEntry<Record<string, unknown>> | null,
    loaded: StoredEntry<Record<string, unknown>> | null,
    origin: CopyOrigin | undefined,
    at: number,
  ): CopyUpkeep | undefined {
    if (cache === undefined) return undefined;
    if (stored === null || loaded === null) return { action: "clear" };
    return origin === undefined ? undefined : { action: "keep", id, record: stored.record, origin, at };
  }

  /** The unchanged copy of the data a store loaded with it, if the end of the request may compare with it (the default hash). */
  function unchangedDataOf(entry: StoredEntry<Record<string, unknown>> | null): Record<string, unknown> | undefined {
    return options.hash === undefined ? entry?.unchangedData : undefined;
  }

  /**
   * The hash of the data as loaded. With the default hash, the JSON the store parsed is the hash: no need
   * to stringify again. Beside an unchanged copy, none is made yet (`loadedHash` makes it if asked).
   */
  function hashAsLoaded(
    entry: StoredEntry<Record<string, unknown>> | null,
    unchangedData: Record<string, unknown> | undefined,
    loadedData: Record<string, unknown>,
  ): unknown {
    return unchangedData === undefined ? (options.hash === undefined && entry?.dataJson) || hash(loadedData) : NOT_HASHED;
  }

  /** `hashBefore` itself, or, where it was not made (`NOT_HASHED`), the JSON of the unchanged copy: only when a comparison cannot tell. */
  function loadedHash(
    hashBefore: unknown,
    entry: StoredEntry<Record<string, unknown>> | null,
    unchangedData: Record<string, unknown> | undefined,
  ): unknown {
    return hashBefore === NOT_HASHED ? (entry?.dataJson ?? JSON.stringify(unchangedData)) : hashBefore;
  }

  /** What the end of the request does (decision.ts), from what it loaded and what the handler asked of `handle`. */
  function decide(
    id: string | undefined,
    handle: SessionHandle<Record<string, unknown>>,
    now: number,
    from: StoredEntry<Record<string, unknown>> | null,
    data: Record<string, unknown>,
    meta: SessionMeta,
    changed: boolean,
  ): EndOfRequest<Record<string, unknown>> {
    return decideEndOfRequest(
      {
        id,
        loaded: from?.record ?? null,
        destroyed: handle.destroyed,
        regenerated: handle.regenerated,
        changed,
        keepsRecords: store.keepsRecords,
        data,
        meta,
        now,
      },
      lifetime,
    );
  }

  function carryOut(
    decision: EndOfRequest<Record<string, unknown>>,
    ctx: RequestContext,
    response: Response,
    now: number,
    upkeep: CopyUpkeep | undefined,
    dataJson: string | undefined,
  ): Awaitable<Response> {
    switch (decision.action) {
      case "leave":
        if (upkeep?.action === "keep") return cache!.keep(ctx, upkeep.id, upkeep.record, upkeep.origin, upkeep.at).then(() => response);
        if (upkeep?.action === "clear") cache!.clear(ctx);
        return response;
      case "destroy":
        return destroyThenClear(decision.id, ctx, response);
      case "create":
      case "update":
      case "rotate": {
        const { record } = decision;
        const sent =
          decision.action === "create"
            ? store.create(record, ctx, scope, now, dataJson)
            : decision.action === "update"
              ? store.update(decision.id, record, ctx, scope, now, dataJson)
              : store.rotate(decision.id, record, ctx, scope, now);
        return settle(sent, (sentId) => sendWritten(sentId, record, ctx, response, now));
      }
    }
  }

  async function destroyThenClear(id: string, ctx: RequestContext, response: Response): Promise<Response> {
    let ended = response;
    try {
      await store.destroy(id, ctx, scope);
    } catch (error) {
      // A logout the store could not confirm (Redis down, or its replicas behind with `durability`)
      // answers the app's error response, and still clears the cookie: the browser forgets the session either way.
      if (!isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE") || typeof ctx.handleError !== "function") throw error;
      // An error handler that does not answer this error leaves it to compose, as any other.
      const answer: unknown = await ctx.handleError(error);
      if (!(answer instanceof Response)) throw error;
      ended = answer;
    }
    const mutable = withMutableHeaders(ended);
    transport.clear(ctx, mutable);
    cache?.clear(ctx);
    return mutable;
  }

  /** After a write: the ID it sent, or, when the session was ended meanwhile (`null`), nothing. */
  function sendWritten(
    sentId: string | null,
    record: SessionRecord<Record<string, unknown>>,
    ctx: RequestContext,
    response: Response,
    now: number,
  ): Awaitable<Response> {
    // The session was ended meanwhile: nothing was written, and the cookie is left alone, since the
    // browser may hold a newer session by now that clearing would end. Its copies go: at worst a newer
    // session's copy goes with them, and its next request reads the store.
    if (sentId === null) {
      cache?.clear(ctx);
      return response;
    }
    const mutable = withMutableHeaders(response);
    transport.write(ctx, mutable, sentId, record.expiresAt, now);
    return cache === undefined ? mutable : cache.keep(ctx, sentId, record, "write", now).then(() => mutable);
  }

  const middleware = async function sessionMiddleware(ctx: RequestContext): Promise<Response> {
    const id = transport.read(ctx) || undefined;
    const opening = open(id, ctx);
    let opened = isThenable(opening) ? await opening : opening;
    let { loaded } = opened;
    const defaults = loaded ? undefined : makeDefaults(ctx);
    const data = loaded ? loaded.record.data : isThenable(defaults) ? await defaults : defaults!;
    // A copy of the data as loaded that nothing changes: compared with, where it is there, instead of hashed.
    let unchangedData = unchangedDataOf(loaded);
    let hashBefore = hashAsLoaded(loaded, unchangedData, data);
    if (isThenable(hashBefore)) hashBefore = await hashBefore;

    // Only a session from a cached copy needs more than the handle knows to answer verify(): the closure
    // is made for those requests alone.
    const verify =
      opened.source !== "copy"
        ? undefined
        : async (): Promise<boolean> => {
            if (opened.source !== "copy") return loaded !== null;
            const copy = opened.copy;
            const readAt = Date.now();
            const stored = await store.load(id!, ctx, scope);
            if (stored !== null && cache!.isCurrent(copy, stored)) {
              opened = { source: "store", loaded };
              return true;
            }
            // The copy was behind the store, and the handler already changed the session from it: the end of
            // the request settles that against the store (see below).
            if (stored !== null) {
              if (handle.metaDirty || handle.regenerated) return true;
              hashBefore = loadedHash(hashBefore, loaded, unchangedData);
              if ((await hash(handle.data)) !== hashBefore) return true;
            }
            loaded = await accept(stored, Date.now());
            opened = { source: "store", loaded, upkeep: upkeepAfterRead(id!, stored, loaded, "write", readAt) };
            handle.reload(
              loaded
                ? { data: loaded.record.data, meta: loaded.record.meta, loadedId: id }
                : { data: await makeDefaults(ctx), meta: undefined, loadedId: undefined },
            );
            unchangedData = unchangedDataOf(loaded);
            hashBefore = await hashAsLoaded(loaded, unchangedData, handle.data);
            return loaded !== null;
          };

    const handle = new SessionHandle<Record<string, unknown>>(data, loaded?.record.meta, loaded === null ? undefined : id, ctx, store, verify);
    (ctx as unknown as Record<symbol, unknown>)[handleKey] = handle;
    expose(ctx, name, handle);

    const response = await ctx.next();
    const now = Date.now();
    let changed = false;
    let dataJson: string | undefined;
    if (handle.metaDirty) {
      changed = !handle.destroyed;
    } else if (!handle.destroyed) {
      const same = unchangedData === undefined ? undefined : sameJson(handle.data, unchangedData);
      if (same !== undefined) {
        changed = !same;
      } else {
        const pending = hash(handle.data);
        const hashAfter = isThenable(pending) ? await pending : pending;
        changed = hashAfter !== loadedHash(hashBefore, loaded, unchangedData);
        // The default hash is the data's JSON: what a write of it would stringify again.
        if (options.hash === undefined && typeof hashAfter === "string") dataJson = hashAfter;
      }
    }
    let decision = decide(id, handle, now, loaded, handle.data, handle.nextMeta(), changed);
    let upkeep = opened.source === "store" ? opened.upkeep : undefined;
    if (opened.source === "copy" && (decision.action === "update" || decision.action === "rotate")) {
      // A write from a copy reads the store first: a copy behind the store must never overwrite a newer session.
      const writtenId = decision.id;
      const stored = await store.load(writtenId, ctx, scope);
      // The data's JSON goes to a store only as of the write (RecordStore): work the handler left running may have changed the data meanwhile.
      dataJson = undefined;
      const behind = stored !== null && !cache!.isCurrent(opened.copy, stored);
      const fresh = behind ? await accept(stored, Date.now()) : stored;
      if (stored === null || fresh === null) {
        // Ended meanwhile: nothing to write, as for any update of a gone session.
        cache!.clear(ctx);
        return response;
      }
      if (behind) {
        if (changed || handle.regenerated) return runAgain(ctx, response, writtenId, stored, now);
        // Only a rolling refresh was due: it refreshes what the store holds, not the copy.
        decision = decide(id, handle, now, fresh, fresh.record.data, fresh.record.meta ?? {}, false);
        upkeep = { action: "keep", id: writtenId, record: stored.record, origin: "write", at: now };
      }
    }
    const carried = carryOut(decision, ctx, response, now, upkeep, dataJson);
    return isThenable(carried) ? await carried : carried;
  } as SessionMiddleware<Record<string, unknown>, Record<string, unknown>>;

  /**
   * A GET or HEAD changed a session loaded from a copy that was behind the
   * store (responses that arrived out of order, a write whose answer was
   * lost). Writing would undo the newer session; dropping the change would
   * lose it. The request is safe to repeat (RFC 9110 §9.2.1), so it is sent
   * back to itself with a copy of what the store holds, and runs again from it.
   */
  async function runAgain(ctx: RequestContext, response: Response, id: string, stored: StoredEntry<Record<string, unknown>>, now: number) {
    await response.body?.cancel().catch(() => {});
    await cache!.keep(ctx, id, stored.record, "write", now);
    return new Response(null, { status: 307, headers: { location: ctx.url.pathname + ctx.url.search, "cache-control": "no-store" } });
  }

  middleware.of = (ctx) => {
    const handle = (ctx as unknown as Record<symbol, SessionHandle<Record<string, unknown>> | undefined>)[handleKey];
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

const NOTHING_OPENED: Opened = { source: "none", loaded: null };
/** The loaded data's hash is not made yet (a hash function may return anything, `undefined` included). */
const NOT_HASHED: unique symbol = Symbol("not hashed");

/** Where a request's session came from: no ID, the store, or a cached copy not yet checked against the store. */
type Opened =
  | { source: "none"; loaded: null }
  | { source: "store"; loaded: StoredEntry<Record<string, unknown>> | null; upkeep?: CopyUpkeep | undefined }
  | { source: "copy"; loaded: StoredEntry<Record<string, unknown>>; copy: CachedCopy<Record<string, unknown>> };

/** What the session cache's cookies need at the end of a request that writes nothing: a copy of a record read at `at`, or to go. */
type CopyUpkeep =
  | { action: "keep"; id: string; record: SessionRecord<Record<string, unknown>>; origin: CopyOrigin; at: number }
  | { action: "clear" };
