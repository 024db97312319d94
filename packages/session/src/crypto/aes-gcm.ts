/**
 * AES-256-GCM sealing: a fresh random 96-bit IV per message, prepended to
 * the ciphertext and its 128-bit tag.
 */
import type { KeyList } from "./keys.js";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export async function seal(key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plaintext),
  );
  const sealed = new Uint8Array(IV_BYTES + ciphertext.length);
  sealed.set(iv);
  sealed.set(ciphertext, IV_BYTES);
  return sealed;
}

/** The plaintext, or `null` when no key authenticates `sealed`. */
export async function open(keys: KeyList, sealed: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null> {
  if (sealed.length < IV_BYTES + TAG_BYTES) return null;
  const iv = sealed.subarray(0, IV_BYTES);
  const ciphertext = sealed.subarray(IV_BYTES);
  for (const key of keys) {
    try {
      return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, ciphertext));
    } catch {
      // Wrong key or tampered data: GCM's tag check failed. Try the next key.
    }
  }
  return null;
}
