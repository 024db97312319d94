/**
 * SHA-256 of short texts (session IDs, hashed into storage keys on every
 * request of a server-side store), as base64url. Through node:crypto where
 * the runtime has it: a microsecond, synchronous. Through Web Crypto
 * elsewhere, where a digest is a job handed to another thread that costs
 * far more than the hash, so recent digests are remembered: a browser sends
 * the same ID request after request.
 */
import { encodeBase64Url } from "./base64url.js";
import { nativeCrypto } from "./native.js";
import { utf8Encode } from "./utf8.js";

const RECENT_LIMIT = 1000;
const MAX_REMEMBERED_LENGTH = 256;
const recent = new Map<string, string>();
const native = nativeCrypto();
const nativeDigest: ((text: string) => string) | null = !native
  ? null
  : typeof native.hash === "function"
    ? (text) => native.hash!("sha256", text, "base64url")
    : (text) => native.createHash("sha256").update(text, "utf8").digest("base64url");

/** The digest at once where node:crypto runs, `null` where only Web Crypto does (use `sha256Base64Url`). */
export function sha256Base64UrlSync(text: string): string | null {
  return nativeDigest === null ? null : nativeDigest(text);
}

export async function sha256Base64Url(text: string): Promise<string> {
  if (nativeDigest) return nativeDigest(text);
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
