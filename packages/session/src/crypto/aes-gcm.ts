/**
 * AES-256-GCM sealing: a fresh random 96-bit IV per message, a 128-bit
 * tag, and additional data the caller binds the message to. Through
 * node:crypto where the runtime has it and Web Crypto elsewhere; both
 * write and read the same bytes. Authenticity is GCM's own tag check on
 * both paths (`crypto.subtle.decrypt` rejects, the native decipher's
 * `final()` throws); the plaintext is used only after it passed.
 */
import { nativeSecret } from "./hmac.js";
import type { NativeCrypto, NativeSecretKey } from "./native.js";
import { utf8Decode, utf8Encode } from "./utf8.js";

export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface AesKey {
  readonly path: "native" | "web";
  /** `prefix ‖ iv ‖ ciphertext ‖ tag`, the prefix copied in front so the caller encodes one buffer. */
  seal(additionalData: Uint8Array, plaintext: string, prefix: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** `sealed` is `iv ‖ ciphertext ‖ tag`; the plaintext, or `null` when the tag does not check out. */
  open(additionalData: Uint8Array, sealed: Uint8Array): string | null | Promise<string | null>;
  /** The 16-byte tag of an empty message under a fixed IV: what the key's ID is cut from. */
  fingerprint(label: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * The IV of the key fingerprint only. A sealed message takes a random IV,
 * which equals this one with probability 2⁻⁹⁶, far below the 2⁻³² bound
 * random IVs already accept among themselves.
 */
const FINGERPRINT_IV = new Uint8Array(IV_BYTES).fill(0xff);

/** The key on the native path when its bytes can be had without a deprecated call, else on Web Crypto. */
export function aesKey(key: CryptoKey, native: NativeCrypto | null): AesKey {
  const secret = native ? nativeSecret(key, native) : null;
  return native && secret ? nativeAesKey(native, secret) : webAesKey(key);
}

function nativeAesKey(native: NativeCrypto, secret: NativeSecretKey): AesKey {
  const options = { authTagLength: TAG_BYTES };
  const seal = (additionalData: Uint8Array, plaintext: string, prefix: Uint8Array, iv: Uint8Array) => {
    const cipher = native.createCipheriv("aes-256-gcm", secret, iv, options).setAAD(additionalData);
    const ciphertext = cipher.update(plaintext, "utf8");
    const rest = cipher.final(); // empty for GCM, a stream mode; kept for form
    const tag = cipher.getAuthTag();
    const out = new Uint8Array(prefix.length + IV_BYTES + ciphertext.length + rest.length + TAG_BYTES);
    out.set(prefix);
    out.set(iv, prefix.length);
    out.set(ciphertext, prefix.length + IV_BYTES);
    out.set(rest, prefix.length + IV_BYTES + ciphertext.length);
    out.set(tag, out.length - TAG_BYTES);
    return out;
  };
  return {
    path: "native",
    seal: (additionalData, plaintext, prefix) => seal(additionalData, plaintext, prefix, crypto.getRandomValues(new Uint8Array(IV_BYTES))),
    open(additionalData, sealed) {
      if (sealed.length < IV_BYTES + TAG_BYTES) return null;
      const decipher = native.createDecipheriv("aes-256-gcm", secret, sealed.subarray(0, IV_BYTES), options);
      decipher.setAAD(additionalData).setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const head = decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES));
      let tail: Uint8Array;
      try {
        tail = decipher.final();
      } catch {
        return null; // Wrong key or tampered data: GCM's tag check failed.
      }
      return utf8Decode(tail.length === 0 ? head : concat(head, tail));
    },
    fingerprint: (label) => seal(label, "", new Uint8Array(0), FINGERPRINT_IV).subarray(IV_BYTES),
  };
}

function webAesKey(key: CryptoKey): AesKey {
  const encrypt = async (additionalData: Uint8Array, plaintext: Uint8Array<ArrayBuffer>, iv: Uint8Array<ArrayBuffer>) =>
    new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData as Uint8Array<ArrayBuffer> }, key, plaintext),
    );
  return {
    path: "web",
    async seal(additionalData, plaintext, prefix) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const ciphertext = await encrypt(additionalData, utf8Encode(plaintext), iv);
      const out = new Uint8Array(prefix.length + IV_BYTES + ciphertext.length);
      out.set(prefix);
      out.set(iv, prefix.length);
      out.set(ciphertext, prefix.length + IV_BYTES);
      return out;
    },
    async open(additionalData, sealed) {
      if (sealed.length < IV_BYTES + TAG_BYTES) return null;
      try {
        const plaintext = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: sealed.subarray(0, IV_BYTES) as Uint8Array<ArrayBuffer>, additionalData: additionalData as Uint8Array<ArrayBuffer> },
          key,
          sealed.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
        );
        return utf8Decode(new Uint8Array(plaintext));
      } catch {
        return null; // Wrong key or tampered data: GCM's tag check failed.
      }
    },
    fingerprint: (label) => encrypt(label, new Uint8Array(0), FINGERPRINT_IV),
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
