import type { RequestContext } from "@hattip/compose";
import type { CookieSerializeOptions } from "@hattip/cookie";

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/**
 * The data of the default session (`ctx.session.data`). Empty until you
 * describe it with module augmentation:
 *
 * ```ts
 * declare module "hattip-session" {
 *   interface SessionData {
 *     userId?: string;
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SessionData {}

/**
 * The data of each named session (`ctx.sessions[name].data`), keyed by the
 * `name` option of `session()`:
 *
 * ```ts
 * declare module "hattip-session" {
 *   interface NamedSessionData {
 *     preferences: { theme: "light" | "dark" };
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NamedSessionData {}

/** How a store turns session data into a string and back. */
export interface SessionSerializationOptions<Data = SessionData> {
  /** Defaults to `JSON.stringify`. */
  stringify?: (data: Data) => string;
  /**
   * Defaults to `JSON.parse`. Use it to validate: a zod schema's `parse`
   * fits. When it throws, or returns something that is not a plain object,
   * the request gets a fresh session instead.
   */
  parse?: (serialized: string) => Data;
}

/**
 * A session as a store keeps it: the data and the two instants that bound
 * its life, in milliseconds since the epoch.
 */
export interface SessionRecord<Data = SessionData> {
  data: Data;
  /** When the session was created (or last regenerated). Never moves. */
  createdAt: number;
  /** When the session stops being valid unless it is saved again. */
  expiresAt: number;
}

/**
 * Where sessions live. The three required methods are the contract of
 * `@hattip/session`, so stores written for it work unchanged.
 *
 * A store that also implements `loadRecord` and `saveRecord` keeps the
 * session's timestamps, which lets the middleware enforce the absolute
 * lifetime and throttle rolling refreshes. Every bundled store does.
 */
export interface SessionStore<Data = SessionData> {
  /** The data for `id`, or `null` if it is unknown, expired or invalid. */
  load(id: string, ctx: RequestContext): Awaitable<Data | null>;
  /**
   * Persist `data` for `maxAge` milliseconds and return the ID the client
   * should send back. `id` is `null` for a new (or regenerated) session.
   */
  save(
    id: string | null,
    data: Data,
    maxAge: number,
    ctx: RequestContext,
  ): Awaitable<string>;
  /** Forget the session now. */
  destroy(id: string, ctx: RequestContext): Awaitable<void>;
  /** Like `load`, with the timestamps. */
  loadRecord?(
    id: string,
    ctx: RequestContext,
  ): Awaitable<SessionRecord<Data> | null>;
  /** Like `save`, with the timestamps; the record's `expiresAt` is the deadline. */
  saveRecord?(
    id: string | null,
    record: SessionRecord<Data>,
    ctx: RequestContext,
  ): Awaitable<string>;
}

/** What a handler sees as `ctx.session` (or `ctx.sessions[name]`). */
export interface Session<Data = SessionData> {
  /** The session data. Mutate it or assign a new object: both are saved. */
  data: Data;
  /** `true` when the request brought no valid session and `data` holds the defaults. */
  readonly isFresh: boolean;
  /**
   * Give the session a new ID at the end of this request, keeping its data,
   * and delete the old one from the store at once. Call it on login and on
   * any change of privilege, to defeat session fixation.
   */
  regenerate(): Promise<void>;
  /** Delete the session from the store and clear its cookie at the end of this request. */
  destroy(): Promise<void>;
}

/**
 * Options of the rolling (sliding) expiry. A session that is used keeps
 * living, one idle lifetime past its last refresh, but never beyond
 * `absoluteLifetime` after it was created.
 */
export interface RollingOptions {
  /**
   * Refresh an unchanged session at most once per this many seconds, so that
   * read-only traffic does not rewrite the store on every hit. Defaults to a
   * tenth of the lifetime, at most one hour.
   */
  refreshInterval?: number;
}

export interface SessionOptions<Data = SessionData> {
  /** Where the session data lives. */
  store: SessionStore<Data>;
  /**
   * The data of a fresh session: an object (deep-copied for every request)
   * or a function of the request context. Defaults to `{}`.
   */
  defaultSessionData?: Data | ((ctx: RequestContext) => Awaitable<Data>);
  /** Defaults to `"session"`, or to the name of a named session. */
  cookieName?: string;
  /**
   * Passed to `ctx.setCookie`. Defaults: `HttpOnly`, `SameSite=Lax`,
   * `Path=/`, `Secure` when the request came over https (always for a
   * `__Host-` or `__Secure-` name). `maxAge` (seconds) or `expires` sets the
   * session lifetime: see `DEFAULT_LIFETIME_SECONDS`.
   */
  cookieOptions?: CookieSerializeOptions;
  /** Read the session ID from the request. Defaults to the cookie `cookieName`. */
  getSessionId?: (ctx: RequestContext) => string | undefined;
  /**
   * Send a session ID to the client (`null`: clear it). `maxAge` is in
   * seconds. Defaults to setting the cookie `cookieName`.
   */
  setSessionId?: (
    ctx: RequestContext,
    response: Response,
    id: string | null,
    maxAge?: number,
  ) => void;
  /** Change detection: the session is saved when this differs before and after the handler. Defaults to `JSON.stringify`. */
  hash?: (data: Data) => Awaitable<unknown>;
  /**
   * Sliding expiry. On by default; `false` gives every session a fixed
   * lifetime from its last write.
   */
  rolling?: boolean | RollingOptions;
  /**
   * No session outlives this many seconds after its creation, however
   * active. Defaults to 30 days (`DEFAULT_ABSOLUTE_LIFETIME_SECONDS`), or to
   * the lifetime when that is longer. `Infinity` turns it off.
   */
  absoluteLifetime?: number;
}

/**
 * Options of a named session, exposed as `ctx.sessions[name]` instead of
 * `ctx.session`, so that one app can run several sessions (say, login and
 * preferences). The name is also the default cookie name.
 */
export interface NamedSessionOptions<Name extends keyof NamedSessionData & string>
  extends SessionOptions<NamedSessionData[Name]> {
  name: Name;
}
