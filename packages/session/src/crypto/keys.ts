/**
 * Every way a key enters the package: generated, imported from base64, or
 * derived from a password-like secret. Keys are checked once here, so the
 * stores can trust what they hold.
 */
import { SessionKeyError } from "../errors.js";
import { decodeBase64Key, encodeBase64Url } from "./base64url.js";
import { utf8Encode } from "./utf8.js";

/** HMAC-SHA-256 keys shorter than the hash's output weaken it (RFC 2104 §3). */
const MIN_HMAC_KEY_BYTES = 32;
const AES_KEY_BYTES = 32;
/** A secret shorter than this is refused: it could be guessed offline from one cookie. */
export const MIN_SECRET_LENGTH = 32;
/**
 * PBKDF2 work factor for `generateKeysFromSecrets`. 100,000 is the most
 * Cloudflare Workers accepts; a secret of 32+ random characters does not
 * need more, and a human-chosen one should be replaced by a generated key.
 */
export const PBKDF2_ITERATIONS = 100_000;
/** Fixed salt: it separates our keys from any other use of the same secret. */
const PBKDF2_SALT = utf8Encode("hattip-session/signed-cookie-key/v1");

const HMAC = { name: "HMAC", hash: "SHA-256" } as const;
const AES_GCM = { name: "AES-GCM", length: 256 } as const;

export type KeyList = [CryptoKey, ...CryptoKey[]];

/** Generates an extractable HMAC-SHA-256 key (256 bits). */
export function generateHmacKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ ...HMAC, length: 256 }, true, [
    "sign",
    "verify",
  ]) as Promise<CryptoKey>;
}

/** Generates an extractable AES-256-GCM key. */
export function generateAesKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey(AES_GCM, true, ["encrypt", "decrypt"]) as Promise<CryptoKey>;
}

/** Exports a key as unpadded base64url, for an environment variable. */
export async function exportKey(key: CryptoKey): Promise<string> {
  if (!key.extractable) {
    throw new SessionKeyError(
      "This key is not extractable: only keys made by generateKey() can be exported.",
    );
  }
  return encodeBase64Url(new Uint8Array(await crypto.subtle.exportKey("raw", key)));
}

export function importHmacKeys(encoded: readonly string[]): Promise<KeyList> {
  return importAll(encoded, async (text, index) => {
    const raw = decodeKey(text, index);
    if (raw.length < MIN_HMAC_KEY_BYTES) {
      throw new SessionKeyError(
        `Signing key #${index} is ${raw.length} bytes; at least ${MIN_HMAC_KEY_BYTES} are required. Make one with SignedCookieStore.generateKey() and exportKey().`,
      );
    }
    return crypto.subtle.importKey("raw", raw, HMAC, false, ["sign", "verify"]);
  });
}

export function importAesKeys(encoded: readonly string[]): Promise<KeyList> {
  return importAll(encoded, async (text, index) => {
    const raw = decodeKey(text, index);
    if (raw.length !== AES_KEY_BYTES) {
      throw new SessionKeyError(
        `Encryption key #${index} is ${raw.length} bytes; AES-256-GCM needs exactly ${AES_KEY_BYTES}. Make one with EncryptedCookieStore.generateKey() and exportKey().`,
      );
    }
    return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, [
      "encrypt",
      "decrypt",
    ]);
  });
}

/** Derives HMAC keys from password-like secrets with PBKDF2-SHA-256. */
export function deriveHmacKeys(secrets: readonly string[]): Promise<KeyList> {
  return importAll(secrets, async (secret, index) => {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
      throw new SessionKeyError(
        `Secret #${index} is ${typeof secret === "string" ? `${secret.length} characters` : "not a string"}; at least ${MIN_SECRET_LENGTH} are required. ` +
          `Better: generate a key with SignedCookieStore.generateKey() and load it with generateKeysFromBase64().`,
      );
    }
    const material = await crypto.subtle.importKey("raw", utf8Encode(secret), "PBKDF2", false, [
      "deriveKey",
    ]);
    return crypto.subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt: PBKDF2_SALT, iterations: PBKDF2_ITERATIONS },
      material,
      { ...HMAC, length: 256 },
      false,
      ["sign", "verify"],
    );
  });
}

/** Checks keys handed to a store's constructor, once, with a message that says what is wrong. */
export function assertKeys(
  keys: unknown,
  algorithm: "HMAC" | "AES-GCM",
  usages: readonly KeyUsage[],
  storeName: string,
): asserts keys is KeyList {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new SessionKeyError(`${storeName} needs a non-empty array of keys.`);
  }
  keys.forEach((key: unknown, index) => {
    const ok =
      typeof key === "object" &&
      key !== null &&
      (key as CryptoKey).algorithm?.name === algorithm &&
      usages.every((usage) => (key as CryptoKey).usages.includes(usage));
    if (!ok) {
      throw new SessionKeyError(
        `${storeName} key #${index} is not an ${algorithm} CryptoKey allowed to ${usages.join(" and ")}. Create keys with ${storeName}'s static helpers.`,
      );
    }
  });
}

function decodeKey(text: string, index: number): Uint8Array<ArrayBuffer> {
  const raw = typeof text === "string" ? decodeBase64Key(text) : null;
  if (!raw) {
    throw new SessionKeyError(`Key #${index} is not valid base64 or base64url.`);
  }
  return raw as Uint8Array<ArrayBuffer>;
}

async function importAll(
  inputs: readonly string[],
  importOne: (input: string, index: number) => Promise<CryptoKey>,
): Promise<KeyList> {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new SessionKeyError("At least one key or secret is required.");
  }
  return (await Promise.all(inputs.map(importOne))) as KeyList;
}
