/**
 * Errors that hattip-session throws on purpose. Each is its own class and
 * carries a stable `code`: match on the code, because `instanceof` fails
 * when two copies of the package are loaded (Vite SSR, a library that
 * bundles it).
 *
 * @example
 * ```ts
 * ctx.handleError = (error) =>
 *   isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE") ? new Response("Try again shortly", { status: 503 }) : undefined;
 * ```
 */

/** Every code a `SessionError` can carry. */
export type SessionErrorCode =
  | "ERR_SESSION"
  | "ERR_SESSION_SETUP"
  | "ERR_SESSION_KEY"
  | "ERR_SESSION_TOO_LARGE"
  | "ERR_SESSION_STORE_UNAVAILABLE"
  | "ERR_SESSION_UNSUPPORTED";

/** Base class of every error this package throws on purpose. */
export class SessionError extends Error {
  /** The code of this class of error, also on every instance as `error.code`. */
  static readonly code: SessionErrorCode = "ERR_SESSION";
  /** A stable code, for matching across copies of the package. */
  readonly code: SessionErrorCode = (this.constructor as typeof SessionError).code;
  override name = "SessionError";
}

/** The middleware is set up in a way that cannot work (for example, no cookie middleware). Code `ERR_SESSION_SETUP`. */
export class SessionSetupError extends SessionError {
  static override readonly code = "ERR_SESSION_SETUP";
  declare readonly code: "ERR_SESSION_SETUP";
  override name = "SessionSetupError";
}

/** A key or secret given to a store is unusable: too short, malformed, or made for another algorithm (a cookie store's keys, a server store's `userTagSecret`). Code `ERR_SESSION_KEY`. */
export class SessionKeyError extends SessionError {
  static override readonly code = "ERR_SESSION_KEY";
  declare readonly code: "ERR_SESSION_KEY";
  override name = "SessionKeyError";
}

/**
 * The session would not fit in a cookie (or in `chunking.maxChunks`
 * cookies). Browsers silently drop a cookie over 4096 bytes, which would
 * log the user out with no trace, so the middleware refuses to write it.
 * Code `ERR_SESSION_TOO_LARGE`.
 */
export class SessionTooLargeError extends SessionError {
  static override readonly code = "ERR_SESSION_TOO_LARGE";
  declare readonly code: "ERR_SESSION_TOO_LARGE";
  override name = "SessionTooLargeError";
  constructor(
    /** The cookie's name. */
    readonly cookieName: string,
    /** Bytes the browser would receive: name, value and attributes (all chunks, when chunking). */
    readonly size: number,
    /** The most that fits: 4096 bytes per cookie, times the chunks allowed. */
    readonly limit: number,
  ) {
    super(
      `The session cookie "${cookieName}" would take ${size} bytes, over the ${limit}-byte limit. ` +
        `Keep less in the session, move it to a server-side store (RedisSessionStore, KvSessionStore, ...), ` +
        `or allow more cookies with session({ chunking: { maxChunks } }).`,
    );
  }
}

/**
 * A server-side store could not be reached, answered with an error, or
 * could not make a write durable. Map it to a 503 and try again later; the
 * message says what a write that failed this way may still do (a write the
 * backend already received can land after the deadline, except where the
 * store refuses late writes: PostgreSQL, Durable Objects). Code
 * `ERR_SESSION_STORE_UNAVAILABLE`.
 */
export class SessionStoreUnavailableError extends SessionError {
  static override readonly code = "ERR_SESSION_STORE_UNAVAILABLE";
  declare readonly code: "ERR_SESSION_STORE_UNAVAILABLE";
  override name = "SessionStoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The store cannot do what was asked: listing or revoking a user's
 * sessions in a cookie store (they live only in browsers), or flash and
 * user binding in a store that keeps no records. Code `ERR_SESSION_UNSUPPORTED`.
 */
export class SessionUnsupportedError extends SessionError {
  static override readonly code = "ERR_SESSION_UNSUPPORTED";
  declare readonly code: "ERR_SESSION_UNSUPPORTED";
  override name = "SessionUnsupportedError";
}

/** The class of each code: what `isSessionError(error, code)` narrows to. */
export type SessionErrorOfCode = {
  ERR_SESSION: SessionError;
  ERR_SESSION_SETUP: SessionSetupError;
  ERR_SESSION_KEY: SessionKeyError;
  ERR_SESSION_TOO_LARGE: SessionTooLargeError;
  ERR_SESSION_STORE_UNAVAILABLE: SessionStoreUnavailableError;
  ERR_SESSION_UNSUPPORTED: SessionUnsupportedError;
};

/**
 * `true` when `error` is an error of this package with that `code` (from
 * any copy of the package), narrowed to the class of the code.
 *
 * @example
 * ```ts
 * if (isSessionError(error, "ERR_SESSION_TOO_LARGE")) console.warn(`${error.cookieName}: ${error.size} of ${error.limit} bytes`);
 * ```
 */
export function isSessionError<Code extends SessionErrorCode>(error: unknown, code: Code): error is SessionErrorOfCode[Code];
/** `true` when `error` is an error of this package, from any copy of it. */
export function isSessionError(error: unknown): error is SessionError;
export function isSessionError(error: unknown, code?: SessionErrorCode): error is SessionError {
  if (typeof error !== "object" || error === null) return false;
  const found = (error as { code?: unknown }).code;
  if (typeof found !== "string" || !found.startsWith("ERR_SESSION")) return false;
  return code === undefined || found === code;
}
