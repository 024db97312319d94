import { decodeBase64Url, decodeBase64UrlAscii, encodeBase64Url, encodeBase64UrlAscii } from "../crypto/base64url.js";
import { hmacSign, hmacVerify } from "../crypto/hmac.js";
import {
  assertKeys,
  deriveHmacKeys,
  exportKey,
  generateHmacKey,
  importHmacKeys,
  type KeyList,
} from "../crypto/keys.js";
import { utf8Decode, utf8Encode } from "../crypto/utf8.js";
import type { SessionData, SessionSerializationOptions } from "../types.js";
import { CookieRecordStore } from "./cookie-record-store.js";

const ascii = new TextDecoder();

/**
 * Session data in a cookie signed with HMAC-SHA-256: the client can read it
 * but not change it. The value is `<payload>.<signature>`, both base64url;
 * the payload carries the expiry, so a replayed cookie dies on time.
 *
 * With several keys, all verify and the first signs: put a new key first to
 * rotate, and drop the old one once its cookies have expired.
 */
export class SignedCookieStore<Data = SessionData> extends CookieRecordStore<Data> {
  readonly #keys: KeyList;

  constructor(keys: [CryptoKey, ...CryptoKey[]], serializationOptions?: SessionSerializationOptions<Data>) {
    super(serializationOptions);
    assertKeys(keys, "HMAC", ["sign", "verify"], "SignedCookieStore");
    this.#keys = [...keys];
  }

  /**
   * Derives keys from password-like secrets (PBKDF2-SHA-256, 100,000
   * iterations, at least 32 characters each). Prefer `generateKey`.
   */
  static generateKeysFromSecrets(secrets: [string, ...string[]]): Promise<[CryptoKey, ...CryptoKey[]]> {
    return deriveHmacKeys(secrets);
  }

  /** Imports keys written by `exportKey` (base64url; plain base64 is accepted too). */
  static generateKeysFromBase64(base64: [string, ...string[]]): Promise<[CryptoKey, ...CryptoKey[]]> {
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

  protected async protect(text: string): Promise<string> {
    // The signature covers the payload's ASCII bytes: made once, used for both.
    const payload = encodeBase64UrlAscii(utf8Encode(text));
    const signature = await hmacSign(this.#keys[0], payload);
    return `${ascii.decode(payload)}.${encodeBase64Url(signature)}`;
  }

  protected async recover(cookieValue: string): Promise<string | null> {
    const dot = cookieValue.indexOf(".");
    if (dot < 0 || cookieValue.indexOf(".", dot + 1) >= 0) return null;
    const payload = utf8Encode(cookieValue.slice(0, dot));
    const signature = decodeBase64Url(cookieValue.slice(dot + 1));
    if (signature === null || signature.length !== 32) return null;
    if (!(await hmacVerify(this.#keys, signature, payload))) return null;
    const bytes = decodeBase64UrlAscii(payload);
    return bytes === null ? null : utf8Decode(bytes);
  }
}
