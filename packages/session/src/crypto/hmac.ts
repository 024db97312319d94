/**
 * HMAC-SHA-256 over `purpose ‖ body`, signatures as base64url text, through
 * node:crypto where the runtime has it and Web Crypto elsewhere; both give
 * the same bytes. Verification is constant-time on both paths:
 * `crypto.subtle.verify` compares inside Web Crypto, and the native path
 * compares the expected signature with the one presented through
 * `timingSafeEqual`. Never compare signatures as strings.
 *
 * `body` is ASCII (base64url and dots): callers check that before calling,
 * since the native path feeds it as latin1, one byte per character.
 */
import { decodeBase64Url, encodeBase64Url } from "./base64url.js";
import { keyMaterialOf } from "./keys.js";
import type { NativeCrypto, NativeSecretKey } from "./native.js";

export const HMAC_BYTES = 32;
/** Base64url characters of an HMAC-SHA-256 signature. */
export const SIGNATURE_LENGTH = 43;

export interface HmacKey {
  /** Which crypto path this key runs on. */
  readonly path: "native" | "web";
  /** The signature as base64url. */
  sign(purpose: Uint8Array, body: string): string | Promise<string>;
  /** Whether `signature` (base64url, as presented) is the signature of `purpose ‖ body`. */
  verify(purpose: Uint8Array, body: string, signature: string): boolean | Promise<boolean>;
}

/** The signature of `purpose ‖ body`, as base64url. */
export function hmacSign(key: HmacKey, purpose: Uint8Array, body: string): string | Promise<string> {
  return key.sign(purpose, body);
}

/** Whether `signature` is the signature of `purpose ‖ body`, compared in constant time. */
export function hmacVerify(key: HmacKey, purpose: Uint8Array, body: string, signature: string): boolean | Promise<boolean> {
  return key.verify(purpose, body, signature);
}

/** The key on the native path when its bytes can be had without a deprecated call, else on Web Crypto. */
export function hmacKey(key: CryptoKey, native: NativeCrypto | null): HmacKey {
  const secret = native ? nativeSecret(key, native) : null;
  return native && secret ? nativeHmacKey(native, secret) : webHmacKey(key);
}

/** A native key object for `key`: from bytes this package holds, or from an extractable key. */
export function nativeSecret(key: CryptoKey, native: NativeCrypto): NativeSecretKey | null {
  const material = keyMaterialOf(key);
  if (material) return native.createSecretKey(material);
  return key.extractable ? native.KeyObject.from(key) : null;
}

function nativeHmacKey(native: NativeCrypto, secret: NativeSecretKey): HmacKey {
  // The digest as text: a digest as bytes would allocate a Buffer per call, which costs more than the HMAC.
  const mac = (purpose: Uint8Array, body: string) => native.createHmac("sha256", secret).update(purpose).update(body, "latin1").digest("base64url");
  // Reused for each comparison (the code is synchronous): the character codes of both signatures,
  // 16 bits each so that no character of the presented one is cut down to another.
  const expected = new Uint16Array(SIGNATURE_LENGTH);
  const presented = new Uint16Array(SIGNATURE_LENGTH);
  return {
    path: "native",
    sign: mac,
    verify(purpose, body, signature) {
      if (signature.length !== SIGNATURE_LENGTH) return false;
      const computed = mac(purpose, body);
      // Same length, every character copied whatever it holds: no early exit before the constant-time compare.
      for (let i = 0; i < SIGNATURE_LENGTH; i++) {
        expected[i] = computed.charCodeAt(i);
        presented[i] = signature.charCodeAt(i);
      }
      // Our base64url is canonical, so an equal text means the presented signature was canonical too.
      return native.timingSafeEqual(expected, presented);
    },
  };
}

function webHmacKey(key: CryptoKey): HmacKey {
  return {
    path: "web",
    async sign(purpose, body) {
      return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, message(purpose, body))));
    },
    async verify(purpose, body, signature) {
      const bytes = decodeBase64Url(signature);
      if (bytes === null || bytes.length !== HMAC_BYTES) return false;
      return crypto.subtle.verify("HMAC", key, bytes, message(purpose, body));
    },
  };
}

const asciiEncoder = new TextEncoder();

function message(purpose: Uint8Array, body: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(purpose.length + body.length);
  bytes.set(purpose);
  asciiEncoder.encodeInto(body, bytes.subarray(purpose.length));
  return bytes;
}
