/**
 * HMAC-SHA-256 over `purpose ‖ body`, through node:crypto where the
 * runtime has it and Web Crypto elsewhere; both give the same bytes.
 * Verification is constant-time on both paths: `crypto.subtle.verify`
 * compares inside Web Crypto, and the native path compares the expected
 * tag with `timingSafeEqual`. Never compare signatures as strings.
 *
 * `body` is ASCII (base64url and dots): callers check that before calling,
 * since the native path feeds it as latin1, one byte per character.
 */
import { keyMaterialOf } from "./keys.js";
import type { NativeCrypto, NativeSecretKey } from "./native.js";

export const HMAC_BYTES = 32;

export interface HmacKey {
  /** "native" or "web": which path this key runs on. */
  readonly path: "native" | "web";
  sign(purpose: Uint8Array, body: string): Uint8Array | Promise<Uint8Array>;
  verify(purpose: Uint8Array, body: string, signature: Uint8Array): boolean | Promise<boolean>;
}

/** The signature of `purpose ‖ body`. */
export function hmacSign(key: HmacKey, purpose: Uint8Array, body: string): Uint8Array | Promise<Uint8Array> {
  return key.sign(purpose, body);
}

/** Whether `signature` is the signature of `purpose ‖ body`, compared in constant time. */
export function hmacVerify(key: HmacKey, purpose: Uint8Array, body: string, signature: Uint8Array): boolean | Promise<boolean> {
  return key.verify(purpose, body, signature);
}

const asciiEncoder = new TextEncoder();

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
  const mac = (purpose: Uint8Array, body: string) => native.createHmac("sha256", secret).update(purpose).update(body, "latin1").digest();
  return {
    path: "native",
    sign: mac,
    verify(purpose, body, signature) {
      const expected = mac(purpose, body);
      return signature.length === expected.length && native.timingSafeEqual(expected, signature);
    },
  };
}

function webHmacKey(key: CryptoKey): HmacKey {
  return {
    path: "web",
    async sign(purpose, body) {
      return new Uint8Array(await crypto.subtle.sign("HMAC", key, message(purpose, body)));
    },
    verify(purpose, body, signature) {
      return crypto.subtle.verify("HMAC", key, signature as Uint8Array<ArrayBuffer>, message(purpose, body));
    },
  };
}

function message(purpose: Uint8Array, body: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(purpose.length + body.length);
  bytes.set(purpose);
  asciiEncoder.encodeInto(body, bytes.subarray(purpose.length));
  return bytes;
}
