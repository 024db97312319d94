/**
 * The public shapes: the data a session holds, the record a store keeps,
 * the contract a store fulfils, what a handler sees as `ctx.session`, and
 * the options of `session()`. No behaviour lives here.
 */
import type { RequestContext } from "@hattip/compose";
import type { CookieSerializeOptions } from "@hattip/cookie";
import type { StandardSchemaV1 } from "./schema.js";

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/**
 * The data of the default session (`ctx.session.data`). Empty until you
 * describe it with module augmentation (or pass a `schema` to `session()`).
 *
 * @example
 * ```ts
 * declare module "hattip-session" {
 *   interface SessionData {
 *     userId?: string;
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty until users augment it (declaration merging needs an interface)
export interface SessionData {}

/**
 * The data of each named session (`ctx.sessions[name].data`), keyed by the
 * `name` option of `session()`.
 *
 * @example
 * ```ts
 * declare module "hattip-session" {
 *   interface NamedSessionData {
 *     preferences: { theme: "light" | "dark" };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty until users augment it (declaration merging needs an interface)
export interface NamedSessionData {}

/**
 * The flash values of the default session (`ctx.session.flash()` /
 * `getFlash()`). Any JSON value is allowed until you describe them.
 *
 * @example
 * ```ts
 * declare module "hattip-session" {
 *   interface SessionFlashData {
 *     notice: string;
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty until users augment it (declaration merging needs an interface)
export interface SessionFlashData {}

/**
 * The flash values of each named session, keyed by its `name`.
 *
 * @example
 * ```ts
 * declare module "hattip-session" {
 *   interface NamedSessionFlashData {
 *     preferences: { notice: string };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty until users augment it (declaration merging needs an interface)
export interface NamedSessionFlashData {}

/** Flash values keyed by name: the declared ones, or any JSON value when none are declared. */
export type FlashValues<Declared> = keyof Declared extends never ? Record<string, unknown> : Declared;

/** How a store turns session data into a string and back. */
export interface SessionSerializationOptions<Data = SessionData> {
  /**
   * Turns the data into text.
   * @default JSON.stringify
   */
  stringify?: (data: Data) => string;
  /**
   * Turns text back into data. Use it to validate (or pass `schema` to
   * `session()`, which works with every store). When it throws, or returns
   * something that is not a plain object, the request gets a fresh session.
   * @default JSON.parse, without `__proto__`, `constructor` and `prototype` keys at any depth
   * @example
   * ```ts
   * new UnsignedCookieStore({ parse: (text) => Preferences.parse(JSON.parse(text)) })
   * ```
   */
  parse?: (serialized: string) => Data;
}

/**
 * What the middleware keeps beside the data, in the same record: who the
 * session belongs to, when that person last proved it, one-time messages.
 * Every field is optional and absent from a record that never needed it.
 */
export interface SessionMeta {
  /** The user the session is bound to (`ctx.session.bindUser()`). */
  user?: string;
  /** When the user last proved who they are, in ms since the epoch (`markAuthenticated()`). */
  authAt?: number;
  /** When the session was last written, in ms since the epoch: its "last seen". */
  seenAt?: number;
  /** A short label of the device that created the session ("Firefox on Linux"). */
  agent?: string;
  /** Values flashed for a later request, not yet read. */
  flash?: Record<string, unknown>;
}

/**
 * A session as a store keeps it: the data, the two instants that bound its
 * life (ms since the epoch), and the middleware's metadata.
 */
export interface SessionRecord<Data = SessionData> {
  data: Data;
  /** When the session was created (or last regenerated). Never moves. */
  createdAt: number;
  /** When the session stops being valid unless it is saved again. */
  expiresAt: number;
  /** Binding, freshness, flash: see `SessionMeta`. Stores keep it as they keep the data. */
  meta?: SessionMeta;
}

/**
 * What the middleware tells a store about the session a call is for. Cookie
 * stores bind their values to the name, so that a value made for one cookie
 * is refused under another.
 */
export interface SessionScope {
  /** The session's cookie name (`cookieName`). */
  readonly name: string;
}

/**
 * Where sessions live. The three required methods are the contract of
 * `@hattip/session`, so stores written for it work unchanged.
 *
 * A store that also implements `loadRecord` and `saveRecord` keeps the
 * session's timestamps and metadata, which the absolute lifetime, rolling
 * refreshes, flash messages, user binding and sudo mode need. Every bundled
 * store does.
 */
export interface SessionStore<Data = SessionData> {
  /** The data for `id`, or `null` if it is unknown, expired or invalid. */
  load(id: string, ctx: RequestContext): Awaitable<Data | null>;
  /**
   * Persist `data` for `maxAge` milliseconds and return the ID the client
   * should send back. `id` is `null` for a new session. Bundled server-side
   * stores never adopt an ID they did not issue: for an unknown or expired
   * `id` they save the data under a new ID and return that.
   */
  save(id: string | null, data: Data, maxAge: number, ctx: RequestContext): Awaitable<string>;
  /** Forget the session now. */
  destroy(id: string, ctx: RequestContext): Awaitable<void>;
  /** Like `load`, with the timestamps and metadata. */
  loadRecord?(id: string, ctx: RequestContext, scope?: SessionScope): Awaitable<SessionRecord<Data> | null>;
  /** Like `save`, with the timestamps and metadata; the record's `expiresAt` is the deadline. */
  saveRecord?(id: string | null, record: SessionRecord<Data>, ctx: RequestContext, scope?: SessionScope): Awaitable<string>;
}

/** One of a user's live sessions, as `ctx.session.listSessions()` shows it. */
export interface UserSessionInfo {
  /**
   * An opaque name for the session, to pass to `revokeSession()`. Derived
   * one way from the storage key: it never reveals the session ID.
   */
  handle: string;
  /** When the session was created (login), ms since the epoch. */
  createdAt: number;
  /** When the session was last written (a change or a rolling refresh), ms since the epoch. */
  lastSeenAt: number;
  /** When the session ends unless it is used again, ms since the epoch. */
  expiresAt: number;
  /** A short label of the device ("Chrome on macOS"), from its user agent at login. */
  device: string;
  /** `true` for the session of the request that asked. */
  current: boolean;
}

/**
 * The per-user index of a server-side store: list and revoke a user's
 * sessions, also outside a request (a password reset job, an admin
 * action). Cookie stores cannot offer it: their sessions live in browsers.
 */
export interface UserSessionIndex {
  /**
   * The user's live sessions, oldest first (`current` is always `false`
   * here): at most `MAX_LISTED_USER_SESSIONS` (100), those whose deadlines
   * are latest, which with rolling refresh are the ones used most recently.
   * A user ID that is not a non-empty string is a `TypeError`, here and in
   * the two revoke methods.
   */
  listUserSessions(userId: string, ctx?: RequestContext): Promise<UserSessionInfo[]>;
  /**
   * Ends the user's session named by `handle`. An unknown, stale or foreign
   * handle ends nothing, and answers the same.
   */
  revokeUserSession(userId: string, handle: string, ctx?: RequestContext): Promise<void>;
  /** Ends every session of the user, except the one named by `exceptHandle`. */
  revokeUserSessions(userId: string, ctx?: RequestContext, exceptHandle?: string): Promise<void>;
  /** The handle of the session `sessionId`, as `listUserSessions` names it. */
  sessionHandle(sessionId: string): Promise<string>;
  /**
   * Throws (a `SessionSetupError` saying what to pass) when the store, as
   * set up, cannot bind a session to a user: `bindUser()` calls it, so the
   * mistake shows where the sign-in happens rather than when the request
   * ends. Leave it out when binding always works.
   */
  assertCanBindUsers?(): void;
}

/** What a handler sees as `ctx.session` (or `ctx.sessions[name]`). */
export interface Session<Data = SessionData, Flash = FlashValues<SessionFlashData>> {
  /** The session data. Mutate it or assign a new object: both are saved. */
  data: Data;
  /** `true` when the request brought no valid session and `data` holds the defaults. */
  readonly isFresh: boolean;
  /**
   * Give the session a new ID at the end of this request, keeping its data,
   * and destroy the old ID in the store. Call it on login and on any change of
   * privilege, to defeat session fixation. If the old session was ended
   * meanwhile (a logout in another tab), the request ends with no session:
   * a regenerate never brings a logged-out session back.
   */
  regenerate(): Promise<void>;
  /**
   * End the session: at the end of this request its record is deleted and
   * its cookie cleared. It wins over everything else the request did to
   * the session (`regenerate()`, changes, flashes), in any order.
   */
  destroy(): Promise<void>;

  /**
   * Keep `value` for a later request: it is not visible on this one, and
   * the first request that reads it with `getFlash` removes it.
   */
  flash<Key extends keyof Flash & string>(key: Key, value: Flash[Key]): void;
  /** The value flashed under `key` by an earlier request, removed from the session by this read. */
  getFlash<Key extends keyof Flash & string>(key: Key): Flash[Key] | undefined;

  /** When the user last proved who they are (ms since the epoch), or `undefined`. */
  readonly authenticatedAt: number | undefined;
  /**
   * Record that the user proved who they are now: at login, or when they
   * re-enter their password for a sensitive action ("sudo mode").
   */
  markAuthenticated(): void;
  /** `true` when the user proved who they are within the last `seconds`. */
  authenticatedWithin(seconds: number): boolean;

  /** The user this session is bound to, or `undefined`. */
  readonly userId: string | undefined;
  /**
   * Bind the session to a user, so that it shows in their session list and
   * ends when they revoke it or sign out everywhere. Binding is a change of
   * privilege, so it also gives the session a new ID, as `regenerate()` does.
   * Needs a server-side store.
   */
  bindUser(userId: string): void;
  /**
   * The bound user's live sessions, oldest first (an empty list when the
   * session is bound to no one): at most `MAX_LISTED_USER_SESSIONS` (100),
   * the ones used most recently. `revokeOtherSessions()` ends them all,
   * listed or not.
   */
  listSessions(): Promise<UserSessionInfo[]>;
  /** End one of the bound user's other sessions by its handle; an unknown handle ends nothing. */
  revokeSession(handle: string): Promise<void>;
  /** End every session of the bound user except this one ("sign out everywhere else"). */
  revokeOtherSessions(): Promise<void>;
}

/**
 * Options of the rolling (sliding) expiry. A session that is used keeps
 * living, one idle lifetime past its last refresh, but never beyond
 * `absoluteLifetime` after it was created.
 */
export interface RollingOptions {
  /**
   * Refresh an unchanged session at most once per this many seconds, so that
   * read-only traffic does not update the store on every hit.
   * @default a tenth of the lifetime, at most 3600 (one hour)
   */
  refreshInterval?: number;
}

/** Options of cookie chunking: a large cookie-store session spread over `name.0`, `name.1`, ... */
export interface ChunkingOptions {
  /**
   * The most cookies one session may take. Above it, the write fails with
   * `SessionTooLargeError`. Servers limit request headers (Node: 16 KiB in
   * all; nginx: 8 KiB per header line by default), so keep it small.
   * @default 3
   */
  maxChunks?: number;
}

export interface SessionOptions<Data = SessionData> {
  /**
   * Where the session data lives.
   * @example
   * ```ts
   * session({ store: new EncryptedCookieStore(keys) })
   * ```
   */
  store: SessionStore<Data>;
  /**
   * The data of a fresh session: an object (deep-copied for every request)
   * or a function of the request context.
   * @default {}
   */
  defaultSessionData?: Data | ((ctx: RequestContext) => Awaitable<Data>);
  /**
   * The cookie carrying the session (its ID, or its data for cookie stores).
   * @default "session", or the `name` of a named session
   */
  cookieName?: string;
  /**
   * Passed to `ctx.setCookie`; yours override the defaults. `maxAge`
   * (seconds) sets the idle lifetime; `expires` sets a fixed deadline
   * instead (the cookie then carries `Expires` and a matching `Max-Age`).
   * @default { httpOnly: true, sameSite: "lax", path: "/", secure: true unless the request is plain http to a loopback host, maxAge: 604800 }
   * @example
   * ```ts
   * session({ store, cookieOptions: { maxAge: 60 * 60, sameSite: "strict" } })
   * ```
   */
  cookieOptions?: CookieSerializeOptions;
  /**
   * Read the session ID from the request.
   * @default the cookie `cookieName` (through `@hattip/cookie`)
   */
  getSessionId?: (ctx: RequestContext) => string | undefined;
  /**
   * Send a session ID to the client (`null`: clear it). `maxAge` is in seconds.
   * @default setting the cookie `cookieName` (through `@hattip/cookie`)
   */
  setSessionId?: (ctx: RequestContext, response: Response, id: string | null, maxAge?: number) => void;
  /**
   * Change detection: the session is saved when this differs before and after the handler.
   * @default JSON.stringify
   */
  hash?: (data: Data) => Awaitable<unknown>;
  /**
   * Sliding expiry: `false` gives every session a fixed lifetime from its
   * last write; an object tunes how often an unchanged session is refreshed.
   * @default true
   */
  rolling?: boolean | RollingOptions;
  /**
   * No session outlives this many seconds after its creation (or last
   * `regenerate()`), however active. `Infinity` turns it off.
   * @default 2592000 (30 days), or the lifetime when that is longer
   */
  absoluteLifetime?: number;
  /**
   * Spread a cookie-store session that outgrows one cookie over several
   * (`name.0`, `name.1`, ...). Off by default: a session over one cookie is
   * a `SessionTooLargeError`, which is usually the right answer.
   * @default false
   * @example
   * ```ts
   * session({ store: new EncryptedCookieStore(keys), chunking: { maxChunks: 3 } })
   * ```
   */
  chunking?: boolean | ChunkingOptions;
}

/**
 * Options of a session whose data is checked by a Standard Schema
 * validator (zod, valibot, arktype, ...): what any store loads is
 * validated, and invalid data gives a fresh session with the defaults.
 */
export interface SchemaSessionOptions<Schema extends StandardSchemaV1> extends Omit<SessionOptions<StandardSchemaV1.InferOutput<Schema>>, "store"> {
  /**
   * Validates the data every store loads; its output type is the type of
   * `data`. Async validators work.
   * @example
   * ```ts
   * const Preferences = z.object({ theme: z.enum(["light", "dark"]) });
   * const preferences = session({ name: "preferences", schema: Preferences, store, defaultSessionData: { theme: "light" } });
   * // in a handler: preferences.of(ctx).data.theme is "light" | "dark"
   * ```
   */
  schema: Schema;
  /** Where the session data lives; the schema checks what it loads. */
  store: SessionStore<unknown>;
  /**
   * Expose it as `ctx.sessions[name]` too (and name its cookie), besides `middleware.of(ctx)`.
   * @default undefined (the session is `ctx.session`, its cookie `session` unless `cookieName` says otherwise)
   */
  name?: string;
}

/**
 * Options of a named session, exposed as `ctx.sessions[name]` instead of
 * `ctx.session`, so that one app can run several sessions (say, login and
 * preferences). The name is also the default cookie name.
 */
export interface NamedSessionOptions<Name extends keyof NamedSessionData & string> extends SessionOptions<NamedSessionData[Name]> {
  /** The key in `ctx.sessions` and in `NamedSessionData`; also the cookie's name unless `cookieName` is given. */
  name: Name;
}

/** What `session()` returns: the middleware, and a typed way to reach its session from a handler. */
export interface SessionMiddleware<Data, Flash> {
  (ctx: RequestContext): Promise<Response>;
  /**
   * This middleware's session in `ctx`, typed by its data: the way to a
   * schema-typed session without module augmentation.
   */
  of(ctx: RequestContext): Session<Data, Flash>;
}
