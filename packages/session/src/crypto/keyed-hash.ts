/**
 * HMAC-SHA-256 under a secret string, of a fixed label followed by a UTF-8
 * text, as base64url: how a server-side store turns a user ID into names
 * that only the deployment holding the secret can tie back to the user
 * (stores/session-id.ts). Through node:crypto where the runtime has it (a
 * microsecond, no job handed to another thread), through Web Crypto
 * elsewhere, with the key imported once; both give the same bytes.
 *
 * The label keeps one derivation's output apart from another's: two labels
 * of which neither is a prefix of the other never hash the same message.
 */
import { encodeBase64Url } from "./base64url.js";
import { nativeCrypto } from "./native.js";
import { utf8Encode } from "./utf8.js";

/** `HMAC-SHA-256(secret, UTF-8(label + text))` as base64url (43 characters). */
export type KeyedHash = (label: string, text: string) => Promise<string>;

export function keyedHash(secret: string): KeyedHash {
  const keyBytes = utf8Encode(secret);
  const native = nativeCrypto();
  if (native) {
    const key = native.createSecretKey(keyBytes);
    return async (label, text) => native.createHmac("sha256", key).update(label, "utf8").update(text, "utf8").digest("base64url");
  }
  let key: Promise<CryptoKey> | undefined;
  return async (label, text) => {
    key ??= crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", await key, utf8Encode(label + text))));
  };
}
