/**
 * How the session ID travels between client and server: by default a
 * cookie through @hattip/cookie (spread over several when chunking is on),
 * or the app's own getSessionId / setSessionId (for header transports).
 * The one place that knows cookie attributes, prefixes and size limits.
 */
import type { RequestContext } from "@hattip/compose";
import type { CookieSerializeOptions } from "@hattip/cookie";
import { chunkIndexes, readChunks, splitEncoded } from "./chunking.js";
import { SessionSetupError, SessionTooLargeError } from "./errors.js";
import type { SessionOptions } from "./types.js";

/**
 * The most bytes one cookie may take: its name, value and attributes as the
 * `Set-Cookie` header carries them. Browsers keep cookies up to 4096 bytes
 * (RFC 6265 §6.1); counting the attributes too leaves a margin for every
 * browser's way of counting.
 */
export const MAX_COOKIE_BYTES = 4096;
/** Chunks allowed when `chunking` is `true`. */
export const DEFAULT_MAX_CHUNKS = 3;
const MOST_CHUNKS = 50;

export interface SessionTransport {
  /** The ID the request carries: `undefined` when none, `""` when its cookies are malformed. */
  read(ctx: RequestContext): string | undefined;
  /** Sends `id`, valid until `expiresAt` (ms since the epoch). */
  write(ctx: RequestContext, response: Response, id: string, expiresAt: number, now: number): void;
  clear(ctx: RequestContext, response: Response): void;
  /** Cookie `name` as the request carried it: a cookie sent beside the session's (the session cache). */
  readBeside(ctx: RequestContext, name: string): string | undefined;
  /**
   * Sets cookie `name` beside the session's, with its attributes, for
   * `maxAge` seconds. `false`, with nothing set, when it would not fit in one cookie.
   */
  writeBeside(ctx: RequestContext, name: string, value: string, maxAge: number): boolean;
  /** Expires cookie `name`, if the request carried it. */
  clearBeside(ctx: RequestContext, name: string): void;
}

const MISSING_COOKIE_MIDDLEWARE =
  "hattip-session reads and writes its cookie through @hattip/cookie: add `app.use(cookie())` " +
  '(import { cookie } from "@hattip/cookie") before `app.use(session(...))`, ' +
  "or pass getSessionId and setSessionId to session().";

type CookieContext = RequestContext & {
  cookie: Record<string, string | undefined>;
  setCookie(name: string, value: string, options?: CookieSerializeOptions): void;
  deleteCookie(name: string, options?: CookieSerializeOptions): void;
};

export function sessionTransport(
  options: Pick<SessionOptions<unknown>, "cookieOptions" | "getSessionId" | "setSessionId" | "chunking">,
  cookieName: string,
): SessionTransport {
  const { maxAge: _maxAge, expires, encode: userEncode, ...userAttributes } = options.cookieOptions ?? {};
  const lowerName = cookieName.toLowerCase();
  // Browsers match the prefixes without regard to case, so "__host-s" is bound by the __Host- rules too.
  const hostPrefixed = lowerName.startsWith("__host-");
  const prefixed = hostPrefixed || lowerName.startsWith("__secure-");
  if (hostPrefixed && (userAttributes.domain !== undefined || (userAttributes.path ?? "/") !== "/")) {
    throw new SessionSetupError(
      `A "__Host-" cookie must have Path=/ and no Domain, or browsers reject it; remove cookieOptions.domain and cookieOptions.path for "${cookieName}".`,
    );
  }
  if (prefixed && userAttributes.secure === false) {
    throw new SessionSetupError(`A "${cookieName}" cookie must be Secure, or browsers reject it; remove cookieOptions.secure: false.`);
  }
  const maxChunks = chunkLimit(options.chunking);
  const encode = userEncode ?? encodeURIComponent;

  const attributesWith = (secure: boolean): CookieSerializeOptions => ({
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    ...userAttributes,
    secure,
    // The value is encoded once, here, where its size is measured.
    encode: (value: string) => value,
    ...SERIALIZER_SLOTS,
  });
  // Made once: only Max-Age (and Expires) change from one write to the next.
  const secureAttributes = attributesWith(true);
  const plainAttributes = attributesWith(false);
  const fixedLength = { secure: attributesLength(secureAttributes), plain: attributesLength(plainAttributes) };
  // Secure unless told otherwise, except for plain http to this machine, where browsers would
  // refuse to send a Secure cookie back, and where nothing can intercept it anyway.
  const isSecure = (ctx: RequestContext) => prefixed || (userAttributes.secure ?? !isPlainHttpToLoopback(ctx.url));
  const attributes = (ctx: RequestContext): CookieSerializeOptions => (isSecure(ctx) ? secureAttributes : plainAttributes);

  const cookieContext = (ctx: RequestContext, member: "cookie" | "setCookie"): CookieContext => {
    const candidate = ctx as Partial<CookieContext>;
    const present = member === "cookie" ? "cookie" in ctx : typeof candidate.setCookie === "function" && typeof candidate.deleteCookie === "function";
    if (!present) throw new SessionSetupError(MISSING_COOKIE_MIDDLEWARE);
    return ctx as CookieContext;
  };

  const readCookie = (ctx: RequestContext): string | undefined => {
    const { cookie } = cookieContext(ctx, "cookie");
    if (maxChunks === 1) return cookie[cookieName];
    const reading = readChunks(cookie, cookieName, maxChunks);
    return reading.kind === "value" ? reading.value : reading.kind === "invalid" ? "" : undefined;
  };

  /** Expires every cookie of this session the request carried that the response does not set again. */
  const expireOthers = (ctx: CookieContext, keep: ReadonlySet<string>, options: CookieSerializeOptions) => {
    const carried = [cookieName, ...chunkIndexes(ctx.cookie, cookieName).map((index) => `${cookieName}.${index}`)];
    for (const name of carried) {
      if (!keep.has(name) && ctx.cookie[name] !== undefined) ctx.deleteCookie(name, options);
    }
  };

  return {
    read: options.getSessionId ?? readCookie,
    write(ctx, response, id, expiresAt, now) {
      // Rounded up: a cookie that outlives its record by under a second is harmless (the server
      // rejects it), while rounding down would delete a still-valid session in its last second.
      const maxAge = Math.max(0, Math.ceil((expiresAt - now) / 1000));
      if (options.setSessionId) return options.setSessionId(ctx, response, id, maxAge);
      const cookies = cookieContext(ctx, "setCookie");
      const secure = isSecure(ctx);
      // Object.assign, not a spread with maxAge added: V8 takes a slow path for that shape (0.7 µs against 0.09).
      const cookieOptions: CookieSerializeOptions = Object.assign({ maxAge }, secure ? secureAttributes : plainAttributes);
      // A fixed deadline is also sent as Expires, for clients that ignore Max-Age.
      if (expires !== undefined) cookieOptions.expires = new Date(expiresAt);
      const encoded = encode(id);
      const overhead =
        (secure ? fixedLength.secure : fixedLength.plain) +
        "; Max-Age=".length +
        String(maxAge).length +
        (cookieOptions.expires ? "; Expires=".length + cookieOptions.expires.toUTCString().length : 0);
      const single = cookieName.length + 1 + encoded.length + overhead;
      if (single <= MAX_COOKIE_BYTES || maxChunks === 1) {
        if (single > MAX_COOKIE_BYTES) throw new SessionTooLargeError(cookieName, single, MAX_COOKIE_BYTES);
        cookies.setCookie(cookieName, encoded, cookieOptions);
        if (maxChunks > 1) expireOthers(cookies, new Set([cookieName]), attributes(ctx));
        return;
      }
      const longestName = `${cookieName}.${maxChunks - 1}`.length;
      const pieces = splitEncoded(encoded, MAX_COOKIE_BYTES - longestName - 1 - overhead);
      if (pieces.length > maxChunks) {
        const total = pieces.reduce((sum, piece, index) => sum + `${cookieName}.${index}`.length + 1 + piece.length + overhead, 0);
        throw new SessionTooLargeError(cookieName, total, maxChunks * MAX_COOKIE_BYTES);
      }
      const written = new Set<string>();
      pieces.forEach((piece, index) => {
        const name = `${cookieName}.${index}`;
        cookies.setCookie(name, piece, cookieOptions);
        written.add(name);
      });
      expireOthers(cookies, written, attributes(ctx));
    },
    clear(ctx, response) {
      if (options.setSessionId) return options.setSessionId(ctx, response, null, 0);
      const cookies = cookieContext(ctx, "setCookie");
      cookies.deleteCookie(cookieName, attributes(ctx));
      if (maxChunks > 1) expireOthers(cookies, new Set([cookieName]), attributes(ctx));
    },
    readBeside: (ctx, name) => cookieContext(ctx, "cookie").cookie[name],
    writeBeside(ctx, name, value, maxAge) {
      const secure = isSecure(ctx);
      const size = name.length + 1 + value.length + (secure ? fixedLength.secure : fixedLength.plain) + "; Max-Age=".length + String(maxAge).length;
      if (size > MAX_COOKIE_BYTES) return false;
      cookieContext(ctx, "setCookie").setCookie(name, value, { ...(secure ? secureAttributes : plainAttributes), maxAge });
      return true;
    },
    clearBeside(ctx, name) {
      const cookies = cookieContext(ctx, "setCookie");
      if (cookies.cookie[name] !== undefined) cookies.deleteCookie(name, attributes(ctx));
    },
  };
}

function chunkLimit(chunking: SessionOptions<unknown>["chunking"]): number {
  if (chunking === undefined || chunking === false) return 1;
  const limit = chunking === true ? DEFAULT_MAX_CHUNKS : (chunking.maxChunks ?? DEFAULT_MAX_CHUNKS);
  if (!Number.isInteger(limit) || limit < 1 || limit > MOST_CHUNKS) {
    throw new SessionSetupError(`chunking.maxChunks must be a whole number from 1 to ${MOST_CHUNKS}; got ${String(limit)}.`);
  }
  return limit;
}

/** Plain http to this very machine: the one place a browser keeps a cookie without Secure and nothing can read it in transit. */
function isPlainHttpToLoopback(url: URL): boolean {
  if (url.protocol !== "http:") return false;
  const host = url.hostname;
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Keys the `cookie` package's serializer (1.1, under @hattip/cookie) adds
 * to a copy of the options it is given, and then writes over with the
 * call's own name and value. Options that already have them keep their
 * shape when copied; options without them send V8 down its slow path for
 * the copy and every read of it: 4.6 against 0.8 µs a cookie in Node 20
 * (bench/PROFILE.md). Other serializers ignore keys they do not know.
 */
const SERIALIZER_SLOTS = { name: "", value: "" } as CookieSerializeOptions;

/** Characters the fixed attributes add to a `Set-Cookie` header, as @hattip/cookie writes them (an upper bound). */
function attributesLength(options: CookieSerializeOptions): number {
  let length = 0;
  if (options.domain) length += "; Domain=".length + options.domain.length;
  if (options.path) length += "; Path=".length + options.path.length;
  if (options.httpOnly) length += "; HttpOnly".length;
  if (options.secure) length += "; Secure".length;
  if (options.partitioned) length += "; Partitioned".length;
  if (options.priority) length += "; Priority=Medium".length;
  if (options.sameSite) length += "; SameSite=Strict".length;
  return length;
}
