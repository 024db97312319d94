/**
 * How the session ID travels between client and server: by default a
 * cookie through @hattip/cookie, or the app's own getSessionId /
 * setSessionId (for header-based transports).
 */
import type { RequestContext } from "@hattip/compose";
import type { CookieSerializeOptions } from "@hattip/cookie";
import { SessionSetupError, SessionTooLargeError } from "./errors.js";
import type { SessionOptions } from "./types.js";

/** Browsers keep cookies whose name and value take at most 4096 bytes (RFC 6265 §6.1). */
export const MAX_COOKIE_BYTES = 4096;

export interface SessionTransport {
  read(ctx: RequestContext): string | undefined;
  /** `maxAge` in seconds. */
  write(ctx: RequestContext, response: Response, id: string, maxAge: number): void;
  clear(ctx: RequestContext, response: Response): void;
}

const MISSING_COOKIE_MIDDLEWARE =
  "hattip-session reads and writes its cookie through @hattip/cookie: add `app.use(cookie())` " +
  "(import { cookie } from \"@hattip/cookie\") before `app.use(session(...))`, " +
  "or pass getSessionId and setSessionId to session().";

export function sessionTransport(
  options: Pick<SessionOptions<unknown>, "cookieOptions" | "getSessionId" | "setSessionId">,
  cookieName: string,
): SessionTransport {
  const { maxAge: _maxAge, expires: _expires, ...userAttributes } = options.cookieOptions ?? {};
  const prefixed = cookieName.startsWith("__Host-") || cookieName.startsWith("__Secure-");
  if (cookieName.startsWith("__Host-") && (userAttributes.domain !== undefined || (userAttributes.path ?? "/") !== "/")) {
    throw new SessionSetupError(
      `A "__Host-" cookie must have Path=/ and no Domain, or browsers reject it; remove cookieOptions.domain and cookieOptions.path for "${cookieName}".`,
    );
  }
  const encode = userAttributes.encode ?? encodeURIComponent;

  const attributes = (ctx: RequestContext): CookieSerializeOptions => ({
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    ...userAttributes,
    // Browsers drop a "__Host-"/"__Secure-" cookie without Secure; otherwise follow the request's scheme.
    secure: prefixed || (userAttributes.secure ?? ctx.url.protocol === "https:"),
  });

  const requireCookieMiddleware = (ctx: RequestContext, method: "setCookie" | "deleteCookie") => {
    if (typeof ctx[method] !== "function") throw new SessionSetupError(MISSING_COOKIE_MIDDLEWARE);
  };

  return {
    read:
      options.getSessionId ??
      ((ctx) => {
        if (!("cookie" in ctx)) throw new SessionSetupError(MISSING_COOKIE_MIDDLEWARE);
        return ctx.cookie[cookieName];
      }),
    write(ctx, response, id, maxAge) {
      if (options.setSessionId) return options.setSessionId(ctx, response, id, maxAge);
      requireCookieMiddleware(ctx, "setCookie");
      const size = cookieName.length + 1 + encode(id).length;
      if (size > MAX_COOKIE_BYTES) throw new SessionTooLargeError(cookieName, size, MAX_COOKIE_BYTES);
      ctx.setCookie(cookieName, id, { ...attributes(ctx), maxAge });
    },
    clear(ctx, response) {
      if (options.setSessionId) return options.setSessionId(ctx, response, null, 0);
      requireCookieMiddleware(ctx, "deleteCookie");
      ctx.deleteCookie(cookieName, attributes(ctx));
    },
  };
}
