/**
 * The session cache (hattip-session's `cache` option) as the apps on a
 * distant store turn it on: a copy of the session, sealed with
 * SESSION_CACHE_KEYS, in a second cookie that answers GET and HEAD requests
 * for SESSION_CACHE_MAX_AGE_SECONDS without a store read. The cost, stated
 * where it is set: a sign-out from another device reaches a browser holding
 * a copy up to that many seconds later, except on the routes that call
 * `ctx.session.verify()` (the profile and everything that signs devices out).
 */
import { EncryptedCookieStore, type SessionCacheOptions } from "hattip-session";
import { MAKE_ONE } from "./user-tag.js";

/** How late a sign-out elsewhere may reach a cached browser on a page that does not verify. */
export const SESSION_CACHE_MAX_AGE_SECONDS = 30;

/** SESSION_CACHE_KEYS (AES-256 keys, base64url, comma-separated, newest first) as the cache option. */
export async function sessionCacheFromSetting(value: string | undefined): Promise<SessionCacheOptions> {
  const encoded = (value ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "");
  if (encoded.length === 0) {
    throw new Error(`SESSION_CACHE_KEYS is not set. The session cache needs a key to seal its copies: make one with ${MAKE_ONE}.`);
  }
  try {
    return { maxAge: SESSION_CACHE_MAX_AGE_SECONDS, keys: await EncryptedCookieStore.generateKeysFromBase64(encoded) };
  } catch (error) {
    throw new Error(`SESSION_CACHE_KEYS holds a key that is not a base64url AES-256 key (${(error as Error).message}). Make one with ${MAKE_ONE}.`);
  }
}
