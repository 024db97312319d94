/**
 * Errors that hattip-session throws on purpose. Each is its own class, so
 * that an app can map it (`instanceof`) to the response it wants.
 */

/** Base class of every error this package throws on purpose. */
export class SessionError extends Error {
  override name = "SessionError";
}

/** The middleware is set up in a way that cannot work (for example, no cookie middleware). */
export class SessionSetupError extends SessionError {
  override name = "SessionSetupError";
}

/** A key or secret given to a cookie store is unusable: too short, malformed, or made for another algorithm. */
export class SessionKeyError extends SessionError {
  override name = "SessionKeyError";
}

/**
 * The session would not fit in a cookie. Browsers silently drop a cookie
 * larger than 4096 bytes, which would log the user out with no trace, so
 * the middleware refuses to write it.
 */
export class SessionTooLargeError extends SessionError {
  override name = "SessionTooLargeError";
  constructor(
    /** The cookie's name. */
    readonly cookieName: string,
    /** Bytes of `name=value` as the browser would receive them. */
    readonly size: number,
    /** The limit, 4096 bytes. */
    readonly limit: number,
  ) {
    super(
      `The session cookie "${cookieName}" would be ${size} bytes, over the ${limit}-byte limit that browsers enforce. ` +
        `Keep less in the session, or move it to a server-side store (RedisSessionStore, KvSessionStore).`,
    );
  }
}

/**
 * A server-side store (Redis, KV) could not be reached or answered with an
 * error. Map it to a 503: the session data is intact, try again later.
 */
export class SessionStoreUnavailableError extends SessionError {
  override name = "SessionStoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
