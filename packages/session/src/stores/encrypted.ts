import { open, seal } from "../crypto/aes-gcm.js";
import { decodeBase64Url, encodeBase64Url } from "../crypto/base64url.js";
import { assertKeys, exportKey, generateAesKey, importAesKeys, type KeyList } from "../crypto/keys.js";
import { utf8Decode, utf8Encode } from "../crypto/utf8.js";
import type { SessionData, SessionSerializationOptions } from "../types.js";
import { CookieRecordStore } from "./cookie-record-store.js";

/**
 * Session data in a cookie encrypted with AES-256-GCM: the client can
 * neither read nor change it. The value is base64url of IV (96 bits, fresh
 * for every write), ciphertext and tag; the expiry is inside.
 *
 * With several keys, all decrypt and the first encrypts (rotation).
 */
export class EncryptedCookieStore<Data = SessionData> extends CookieRecordStore<Data> {
  readonly #keys: KeyList;

  constructor(keys: [CryptoKey, ...CryptoKey[]], serializationOptions?: SessionSerializationOptions<Data>) {
    super(serializationOptions);
    assertKeys(keys, "AES-GCM", ["encrypt", "decrypt"], "EncryptedCookieStore");
    this.#keys = [...keys];
  }

  /** Imports 256-bit keys written by `exportKey` (base64url; plain base64 is accepted too). */
  static generateKeysFromBase64(base64: [string, ...string[]]): Promise<[CryptoKey, ...CryptoKey[]]> {
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

  protected async protect(text: string): Promise<string> {
    return encodeBase64Url(await seal(this.#keys[0], utf8Encode(text)));
  }

  protected async recover(cookieValue: string): Promise<string | null> {
    const sealed = decodeBase64Url(cookieValue);
    if (sealed === null) return null;
    const plaintext = await open(this.#keys, sealed);
    return plaintext === null ? null : utf8Decode(plaintext);
  }
}
