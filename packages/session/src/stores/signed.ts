import type { HmacKey } from "../crypto/hmac.js";
import { hmacKeyRing, type KeyRing } from "../crypto/key-ring.js";
import { assertKeys, deriveHmacKeys, exportKey, generateHmacKey, importHmacKeys } from "../crypto/keys.js";
import { signedText } from "../crypto/protected-text.js";
import { PurposeBytes } from "../crypto/purpose.js";
import type { SessionData, SessionSerializationOptions } from "../types.js";
import { CookieRecordStore } from "./cookie-record-store.js";

/**
 * Session data in a cookie signed with HMAC-SHA-256: the client can read it
 * but not change it. The value is `<key ID>.<payload>.<signature>`, all
 * base64url; the payload carries the expiry, so a replayed cookie dies on
 * time, and the signature also covers the cookie's name, so the value is
 * refused under any other cookie.
 *
 * With several keys, all verify and the first signs: put a new key first to
 * rotate, and drop the old one once its cookies have expired. The key ID
 * picks the one key to verify with.
 *
 * @example
 * ```ts
 * // once: console.log(await SignedCookieStore.exportKey(await SignedCookieStore.generateKey()))
 * const keys = await SignedCookieStore.generateKeysFromBase64([process.env.SESSION_KEY!]);
 * app.use(session({ store: new SignedCookieStore(keys) }));
 * ```
 */
export class SignedCookieStore<Data = SessionData> extends CookieRecordStore<Data, HmacKey> {
  protected readonly storeName = "SignedCookieStore";
  /** `<key ID>.<payload>.<HMAC-SHA-256, 32 bytes>`, all base64url. */
  protected readonly valueShape = /^[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{43}$/;
  readonly #purpose = new PurposeBytes("signed");

  /**
   * @param keys HMAC-SHA-256 keys of at least 256 bits, newest first: from
   *   `generateKeysFromBase64`, `generateKey` or `generateKeysFromSecrets`.
   * @throws SessionKeyError for a key of another algorithm, hash or usage,
   *   shorter than 256 bits, or listed twice.
   */
  constructor(keys: [CryptoKey, ...CryptoKey[]], serializationOptions?: SessionSerializationOptions<Data>) {
    assertKeys(keys, "HMAC", "SignedCookieStore");
    super(hmacKeyRing(keys, "SignedCookieStore"), serializationOptions);
  }

  /**
   * Derives keys from password-like secrets (PBKDF2-SHA-256, 100,000
   * iterations, at least 32 characters each). Prefer `generateKey`.
   */
  static generateKeysFromSecrets(secrets: readonly string[]): Promise<[CryptoKey, ...CryptoKey[]]> {
    return deriveHmacKeys(secrets);
  }

  /** Imports keys written by `exportKey` (base64url; plain base64 is accepted too). */
  static generateKeysFromBase64(base64: readonly string[]): Promise<[CryptoKey, ...CryptoKey[]]> {
    return importHmacKeys(base64);
  }

  /** A new random 256-bit HMAC-SHA-256 key. */
  static generateKey(): Promise<CryptoKey> {
    return generateHmacKey();
  }

  /** The key as base64url, to keep in an environment variable or secret store. */
  static exportKey(key: CryptoKey): Promise<string> {
    return exportKey(key);
  }

  protected protect(ring: KeyRing<HmacKey>, text: string, name: string): Promise<string> {
    return signedText.protect(ring, this.#purpose.of(name), text);
  }

  protected recover(ring: KeyRing<HmacKey>, cookieValue: string, name: string): Promise<string | null> {
    return signedText.recover(ring, this.#purpose.of(name), cookieValue);
  }
}
