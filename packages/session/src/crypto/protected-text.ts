/**
 * Text that travels through the browser under a key ring, bound to
 * purpose bytes the caller chooses: signed (`<key ID>.<base64url of the
 * text>.<HMAC-SHA-256>`, readable, unforgeable) or sealed (AES-256-GCM,
 * base64url of `key ID ‖ IV ‖ ciphertext ‖ tag`, neither readable nor
 * forgeable). The key ID picks the one key to verify or open with, so a
 * value naming a key the ring no longer holds is refused before any crypto.
 */
import type { AesKey } from "./aes-gcm.js";
import { decodeBase64UrlText, encodeTextBase64Url } from "./base64url.js";
import { hmacSign, hmacVerify, type HmacKey } from "./hmac.js";
import { KEY_ID_LENGTH, type KeyRing } from "./key-ring.js";

export interface TextProtection<Key> {
  /** The value to send: `text` protected by the ring's current key, bound to `purpose`. */
  protect(ring: KeyRing<Key>, purpose: Uint8Array, text: string): Promise<string>;
  /** The text inside `value`, or `null` when no key of `ring` made it for `purpose`. */
  recover(ring: KeyRing<Key>, purpose: Uint8Array, value: string): Promise<string | null>;
}

export const signedText: TextProtection<HmacKey> = {
  async protect(ring, purpose, text) {
    const { id, key } = ring.current;
    const signedPart = `${id}.${encodeTextBase64Url(text)}`;
    return `${signedPart}.${await hmacSign(key, purpose, signedPart)}`;
  },
  async recover(ring, purpose, value) {
    // Everything that needs no key is checked first: the key ID, the shape, strict base64url.
    if (value.charCodeAt(KEY_ID_LENGTH) !== 0x2e /* . */) return null;
    const key = ring.find(value.slice(0, KEY_ID_LENGTH));
    if (key === undefined) return null;
    const dot = value.indexOf(".", KEY_ID_LENGTH + 1);
    if (dot < 0 || value.indexOf(".", dot + 1) >= 0) return null;
    // Decoded before the check, so that the signed part is known to be ASCII (the key ID came from the ring).
    const text = decodeBase64UrlText(value.slice(KEY_ID_LENGTH + 1, dot));
    if (text === null) return null;
    return (await hmacVerify(key, purpose, value.slice(0, dot), value.slice(dot + 1))) ? text : null;
  },
};

export const sealedText: TextProtection<AesKey> = {
  async protect(ring, purpose, text) {
    const { idBytes, key } = ring.current;
    return key.seal(purpose, text, idBytes);
  },
  async recover(ring, purpose, value) {
    // Six bytes are eight base64url characters exactly: the key is found before anything is decoded.
    const key = ring.find(value.slice(0, KEY_ID_LENGTH));
    return key === undefined ? null : key.open(purpose, value);
  },
};
