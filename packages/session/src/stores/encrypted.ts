import type { AesKey } from "../crypto/aes-gcm.js";
import { aesKeyRing, type KeyRing } from "../crypto/key-ring.js";
import { assertKeys, exportKey, generateAesKey, importAesKeys } from "../crypto/keys.js";
import { sealedText } from "../crypto/protected-text.js";
import { PurposeBytes } from "../crypto/purpose.js";
import type { SessionData, SessionSerializationOptions } from "../types.js";
import { CookieRecordStore } from "./cookie-record-store.js";

/**
 * Session data in a cookie encrypted with AES-256-GCM: the client can
 * neither read nor change it. The value is base64url of key ID (6 bytes),
 * IV (96 bits, fresh for every write), ciphertext and tag; the expiry is
 * inside. The additional data authenticates the cookie's name, so the
 * value is refused under any other cookie. (The key ID needs no
 * authenticating: naming another key only makes the tag check fail.)
 *
 * With several keys, all decrypt and the first encrypts (rotation); the
 * key ID picks the one key to decrypt with.
 *
 * @example
 * ```ts
 * // once: console.log(await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey()))
 * const keys = await EncryptedCookieStore.generateKeysFromBase64([process.env.SESSION_KEY!]);
 * app.use(session({ store: new EncryptedCookieStore(keys) }));
 * ```
 */
export class EncryptedCookieStore<Data = SessionData> extends CookieRecordStore<Data, AesKey> {
  protected readonly storeName = "EncryptedCookieStore";
  /** base64url of key ID (6 bytes), IV (12) and tag (16) at least: 34 bytes, 46 characters. */
  protected readonly valueShape = /^[A-Za-z0-9_-]{46,}$/;
  readonly #purpose = new PurposeBytes("encrypted");

  /**
   * @param keys AES-GCM keys of exactly 256 bits, newest first: from
   *   `generateKeysFromBase64` or `generateKey`.
   * @throws SessionKeyError for a key of another algorithm, length or usage, or listed twice.
   */
  constructor(keys: [CryptoKey, ...CryptoKey[]], serializationOptions?: SessionSerializationOptions<Data>) {
    assertKeys(keys, "AES-GCM", "EncryptedCookieStore");
    super(aesKeyRing(keys, "EncryptedCookieStore"), serializationOptions);
  }

  /** Imports 256-bit keys written by `exportKey` (base64url; plain base64 is accepted too). */
  static generateKeysFromBase64(base64: readonly string[]): Promise<[CryptoKey, ...CryptoKey[]]> {
    return importAesKeys(base64);
  }

  /** A new random AES-256-GCM key. */
  static generateKey(): Promise<CryptoKey> {
    return generateAesKey();
  }

  /** The key as base64url, to keep in an environment variable or secret store. */
  static exportKey(key: CryptoKey): Promise<string> {
    return exportKey(key);
  }

  protected protect(ring: KeyRing<AesKey>, text: string, name: string): Promise<string> {
    return sealedText.protect(ring, this.#purpose.of(name), text);
  }

  protected recover(ring: KeyRing<AesKey>, cookieValue: string, name: string): Promise<string | null> {
    return sealedText.recover(ring, this.#purpose.of(name), cookieValue);
  }
}
