/**
 * HMAC-SHA-256 signatures. Verification goes through
 * `crypto.subtle.verify`, which compares in constant time; never compare
 * signatures as strings.
 */
import type { KeyList } from "./keys.js";

export async function hmacSign(key: CryptoKey, message: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

/** `true` when any of `keys` produced `signature` over `message`. */
export async function hmacVerify(
  keys: KeyList,
  signature: Uint8Array<ArrayBuffer>,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  for (const key of keys) {
    if (await crypto.subtle.verify("HMAC", key, signature, message)) return true;
  }
  return false;
}
