import { encodeBase64Url } from "./base64url.js";
import { utf8Encode } from "./utf8.js";

/**
 * Recent digests of short texts (session IDs, hashed into storage keys on
 * every request). A Web Crypto digest is a job handed to another thread,
 * which costs far more than the hash itself; a browser sends the same ID
 * request after request.
 */
const RECENT_LIMIT = 1000;
const MAX_REMEMBERED_LENGTH = 256;
const recent = new Map<string, string>();

/** SHA-256 of `text`'s UTF-8 bytes, as base64url. */
export async function sha256Base64Url(text: string): Promise<string> {
  const known = recent.get(text);
  if (known !== undefined) return known;
  const digest = encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(text))));
  if (text.length <= MAX_REMEMBERED_LENGTH) {
    // Oldest first out: a Map iterates in insertion order.
    if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!);
    recent.set(text, digest);
  }
  return digest;
}
