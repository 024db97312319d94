/**
 * What every benchmark shares: the session data (a typical ~200-byte
 * session and a ~2 KB one) and one set of keys, so that our stores and
 * @hattip/session's sign and encrypt with the same key bytes.
 */

export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * The cookie options every library's app gets: a production session
 * cookie's attributes, ours' defaults, which @hattip/session leaves to the
 * app. Each library then sends the same attributes on its Set-Cookie line,
 * and what one pays for them the other pays too.
 */
export const BENCH_COOKIE_OPTIONS = { maxAge: SESSION_MAX_AGE_SECONDS, httpOnly: true, secure: true, sameSite: "lax", path: "/" } as const;

/** A logged-in user as most apps keep one: about 200 bytes of JSON. */
export function typicalSession(): Record<string, unknown> {
  return {
    userId: "5f2b6c1e-8a4d-4c3e-9b1a-2d7e6f0a9c41",
    name: "Ada Lovelace",
    email: "ada@example.com",
    roles: ["editor", "reviewer"],
    locale: "en-GB",
    theme: "dark",
    csrf: "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6",
    count: 0,
  };
}

/**
 * Fixed, bench-only key material: runs are comparable, and every process
 * of a run loads the same keys. Each library loads them the way its README
 * says (`generateKeysFromBase64`), so each gets the key handling it ships.
 */
export const BENCH_KEYS = {
  hmac: "Vh3lq0m3c9d1yJx2nq5oQ0bW8r6tZk4pS7uA2eF9gH0",
  aes: "k2Lr9xQ4sV7nB1mC8zT5wY3uI6oP0aE2dF4gH7jK9lM",
  /** For iron-session, which takes a password and derives its own keys. */
  ironPassword: "bench-only-iron-password-0123456789abcdef",
  /** The server stores' `userTagSecret`, which binding sessions to users needs. */
  userTag: "bench-only-user-tag-secret-0123456789abcdef",
} as const;

/**
 * The Cookie header of the no-session apps' requests: a logged-in user's
 * size, so that every app gets the same request to parse; they never read it.
 */
export const PLAIN_COOKIE = `session=${"x".repeat(360)}`;
