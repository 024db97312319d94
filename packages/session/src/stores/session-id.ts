/**
 * Session IDs for server-side stores: 256 random bits, base64url. The
 * stores key their records by a SHA-256 of the ID, so that reading the
 * database does not hand out live session IDs.
 */
import { encodeBase64Url } from "../crypto/base64url.js";

const ID_BYTES = 32;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateSessionId(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

/** `true` for a string shaped like an ID from `generateSessionId`. */
export function isWellFormedSessionId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export { sha256Base64Url as hashSessionId } from "../crypto/sha256.js";
