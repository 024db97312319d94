/**
 * AES-256-GCM sealing of text into base64url: `keyId ‖ iv ‖ ciphertext ‖
 * tag`, a fresh random 96-bit IV per message, a 128-bit tag, and
 * additional data the caller binds the message to. Through node:crypto
 * where the runtime has it and Web Crypto elsewhere; both write and read
 * the same bytes. Authenticity is GCM's own tag check on both paths
 * (`crypto.subtle.decrypt` rejects, the native decipher's `final()`
 * throws); the plaintext is used only after it passed.
 */
import { decodeBase64Url, decodeBase64UrlTransient, encodeBase64Url, stagingBuffer } from "./base64url.js";
import { nativeSecret } from "./hmac.js";
import type { NativeCrypto, NativeSecretKey } from "./native.js";
import { randomBytes } from "./random.js";
import { utf8Decode, utf8Encode } from "./utf8.js";

export const IV_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes of the key ID in front of every sealed value. */
export const SEALED_ID_BYTES = 6;
const HEADER_BYTES = SEALED_ID_BYTES + IV_BYTES;

export interface AesKey {
  readonly path: "native" | "web";
  /** Base64url of `keyId ‖ iv ‖ ciphertext ‖ tag`. */
  seal(additionalData: Uint8Array, plaintext: string, keyId: Uint8Array): string | Promise<string>;
  /** The plaintext of a value `seal` made, or `null` when it is malformed or its tag does not check out. */
  open(additionalData: Uint8Array, value: string): string | null | Promise<string | null>;
  /** Base64url of the tag of an empty message under a fixed IV: what the key's ID is cut from. */
  fingerprint(label: Uint8Array): string | Promise<string>;
}

/**
 * The IV of the key fingerprint only. A sealed message takes a random IV,
 * which equals this one with probability 2⁻⁹⁶, far below the 2⁻³² bound
 * random IVs already accept among themselves.
 */
const FINGERPRINT_IV = new Uint8Array(IV_BYTES).fill(0xff);
const OPTIONS = { authTagLength: TAG_BYTES };

/** The key on the native path when its bytes can be had without a deprecated call, else on Web Crypto. */
export function aesKey(key: CryptoKey, native: NativeCrypto | null): AesKey {
  const secret = native ? nativeSecret(key, native) : null;
  return native && secret ? nativeAesKey(native, secret) : webAesKey(key);
}

function nativeAesKey(native: NativeCrypto, secret: NativeSecretKey): AesKey {
  return {
    path: "native",
    seal(additionalData, plaintext, keyId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = native.createCipheriv("aes-256-gcm", secret, iv, OPTIONS).setAAD(additionalData);
      const ciphertext = cipher.update(plaintext, "utf8");
      cipher.final(); // GCM is a stream mode: final() only completes the tag
      const tag = cipher.getAuthTag();
      const length = HEADER_BYTES + ciphertext.length + TAG_BYTES;
      const sealed = stagingBuffer(length);
      sealed.set(keyId);
      sealed.set(iv, SEALED_ID_BYTES);
      sealed.set(ciphertext, HEADER_BYTES);
      sealed.set(tag, HEADER_BYTES + ciphertext.length);
      return encodeBase64Url(sealed.subarray(0, length));
    },
    open(additionalData, value) {
      // A view of a scratch buffer: the decipher copies what it keeps, and nothing else runs meanwhile.
      const sealed = decodeBase64UrlTransient(value);
      if (sealed === null || sealed.length < HEADER_BYTES + TAG_BYTES) return null;
      const decipher = native.createDecipheriv("aes-256-gcm", secret, sealed.subarray(SEALED_ID_BYTES, HEADER_BYTES), OPTIONS);
      decipher.setAAD(additionalData).setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plaintext = decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES));
      try {
        decipher.final();
      } catch {
        return null; // Wrong key or tampered data: GCM's tag check failed.
      }
      return utf8Decode(plaintext);
    },
    fingerprint(label) {
      const cipher = native.createCipheriv("aes-256-gcm", secret, FINGERPRINT_IV, OPTIONS).setAAD(label);
      cipher.final();
      return encodeBase64Url(cipher.getAuthTag());
    },
  };
}

function webAesKey(key: CryptoKey): AesKey {
  const encrypt = async (additionalData: Uint8Array, plaintext: Uint8Array<ArrayBuffer>, iv: Uint8Array<ArrayBuffer>) =>
    new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData as Uint8Array<ArrayBuffer> }, key, plaintext));
  return {
    path: "web",
    async seal(additionalData, plaintext, keyId) {
      const iv = randomBytes(IV_BYTES);
      const ciphertext = await encrypt(additionalData, utf8Encode(plaintext), iv);
      const sealed = new Uint8Array(HEADER_BYTES + ciphertext.length);
      sealed.set(keyId);
      sealed.set(iv, SEALED_ID_BYTES);
      sealed.set(ciphertext, HEADER_BYTES);
      return encodeBase64Url(sealed);
    },
    async open(additionalData, value) {
      // Its own copy: Web Crypto may read the bytes after this function has yielded.
      const sealed = decodeBase64Url(value);
      if (sealed === null || sealed.length < HEADER_BYTES + TAG_BYTES) return null;
      try {
        const plaintext = await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: sealed.subarray(SEALED_ID_BYTES, HEADER_BYTES),
            additionalData: additionalData as Uint8Array<ArrayBuffer>,
          },
          key,
          sealed.subarray(HEADER_BYTES),
        );
        return utf8Decode(new Uint8Array(plaintext));
      } catch {
        return null; // Wrong key or tampered data: GCM's tag check failed.
      }
    },
    fingerprint: async (label) => encodeBase64Url(await encrypt(label, new Uint8Array(0), FINGERPRINT_IV)),
  };
}
