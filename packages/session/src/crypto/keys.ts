/**
 * Every way a key enters the package: generated, imported from base64,
 * derived from a password-like secret, or handed to a store's constructor.
 * Each way checks the key the same (algorithm, hash, length, usages), so
 * the stores can trust what they hold.
 *
 * Keys this module makes keep their raw bytes in a private WeakMap: the
 * native crypto path needs them, and a non-extractable CryptoKey will not
 * give them back (and `KeyObject.from` on one is deprecated). The CryptoKey
 * the caller holds stays non-extractable.
 */
import { SessionKeyError } from "../errors.js";
import { decodeBase64Key, encodeBase64Url } from "./base64url.js";
import { utf8Encode } from "./utf8.js";

/** HMAC-SHA-256 keys shorter than the hash's output weaken it (RFC 2104 §3). */
const MIN_HMAC_KEY_BITS = 256;
const AES_KEY_BITS = 256;
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
const AES_GCM = { name: "AES-GCM" } as const;
const HMAC_USAGES: KeyUsage[] = ["sign", "verify"];
const AES_USAGES: KeyUsage[] = ["encrypt", "decrypt"];

export type KeyList = [CryptoKey, ...CryptoKey[]];
export type KeyKind = "HMAC" | "AES-GCM";

const rawMaterial = new WeakMap<CryptoKey, Uint8Array<ArrayBuffer>>();

/** The raw bytes of a key this module made, imported or derived; `undefined` for any other key. */
export function keyMaterialOf(key: CryptoKey): Uint8Array<ArrayBuffer> | undefined {
  return rawMaterial.get(key);
}

async function importRaw(raw: Uint8Array<ArrayBuffer>, kind: KeyKind, extractable: boolean): Promise<CryptoKey> {
  const key =
    kind === "HMAC"
      ? await crypto.subtle.importKey("raw", raw, HMAC, extractable, HMAC_USAGES)
      : await crypto.subtle.importKey("raw", raw, AES_GCM, extractable, AES_USAGES);
  rawMaterial.set(key, raw);
  return key;
}

/** Generates an extractable HMAC-SHA-256 key (256 bits). */
export function generateHmacKey(): Promise<CryptoKey> {
  return importRaw(crypto.getRandomValues(new Uint8Array(MIN_HMAC_KEY_BITS / 8)), "HMAC", true);
}

/** Generates an extractable AES-256-GCM key. */
export function generateAesKey(): Promise<CryptoKey> {
  return importRaw(crypto.getRandomValues(new Uint8Array(AES_KEY_BITS / 8)), "AES-GCM", true);
}

/** Exports a key as unpadded base64url, for an environment variable. */
export async function exportKey(key: CryptoKey): Promise<string> {
  if (!key?.extractable) {
    throw new SessionKeyError("This key is not extractable: only keys made by generateKey() can be exported.");
  }
  return encodeBase64Url(new Uint8Array(await crypto.subtle.exportKey("raw", key)));
}

export function importHmacKeys(encoded: readonly string[]): Promise<KeyList> {
  return importAll(encoded, async (text, index) => {
    const raw = decodeKey(text, index);
    if (raw.length * 8 < MIN_HMAC_KEY_BITS) {
      throw new SessionKeyError(
        `Signing key #${index} is ${raw.length} bytes; at least ${MIN_HMAC_KEY_BITS / 8} are required. Make one with SignedCookieStore.generateKey() and exportKey().`,
      );
    }
    return importRaw(raw, "HMAC", false);
  });
}

export function importAesKeys(encoded: readonly string[]): Promise<KeyList> {
  return importAll(encoded, async (text, index) => {
    const raw = decodeKey(text, index);
    if (raw.length * 8 !== AES_KEY_BITS) {
      throw new SessionKeyError(
        `Encryption key #${index} is ${raw.length} bytes; AES-256-GCM needs exactly ${AES_KEY_BITS / 8}. Make one with EncryptedCookieStore.generateKey() and exportKey().`,
      );
    }
    return importRaw(raw, "AES-GCM", false);
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
    const material = await crypto.subtle.importKey("raw", utf8Encode(secret), "PBKDF2", false, ["deriveBits"]);
    // Bits, then a key from them: the same key deriveKey would give, with its bytes kept for the native path.
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: PBKDF2_SALT, iterations: PBKDF2_ITERATIONS },
      material,
      MIN_HMAC_KEY_BITS,
    );
    return importRaw(new Uint8Array(bits), "HMAC", false);
  });
}

/**
 * Checks keys handed to a store's constructor, once, as strictly as the
 * importers do: the algorithm, its hash and its length, and the usages.
 * A key that passes is one the store can use safely.
 */
export function assertKeys(keys: unknown, kind: KeyKind, storeName: string): asserts keys is KeyList {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new SessionKeyError(`${storeName} needs a non-empty array of keys.`);
  }
  const helpers = `Create keys with ${storeName}.generateKey() or load them with ${storeName}.generateKeysFromBase64().`;
  keys.forEach((key: unknown, index) => {
    const problem = keyProblem(key, kind);
    if (problem) throw new SessionKeyError(`${storeName} key #${index} ${problem}. ${helpers}`);
    if (keys.indexOf(key) !== index) {
      throw new SessionKeyError(`${storeName} key #${index} is the same key as #${keys.indexOf(key)}; list each key once.`);
    }
  });
}

/** What is wrong with `key` for `kind`, as the end of a sentence, or `null` when nothing is. */
function keyProblem(key: unknown, kind: KeyKind): string | null {
  if (typeof key !== "object" || key === null || typeof (key as CryptoKey).algorithm !== "object") {
    return "is not a CryptoKey";
  }
  const { algorithm, type, usages } = key as CryptoKey;
  if (type !== "secret") return `is a ${String(type)} key, not a secret key`;
  if (algorithm.name !== kind) return `is an ${String(algorithm.name)} key, not an ${kind} key`;
  const length = (algorithm as { length?: unknown }).length;
  if (kind === "HMAC") {
    const hash = (algorithm as HmacKeyAlgorithm).hash?.name;
    if (hash !== "SHA-256") return `uses ${String(hash)}; only HMAC with SHA-256 is accepted`;
    if (typeof length !== "number" || length < MIN_HMAC_KEY_BITS) {
      return `is ${String(length)} bits long; HMAC-SHA-256 keys need at least ${MIN_HMAC_KEY_BITS}`;
    }
  } else if (length !== AES_KEY_BITS) {
    return `is ${String(length)} bits long; AES-GCM keys must be exactly ${AES_KEY_BITS} (AES-256)`;
  }
  const needed = kind === "HMAC" ? HMAC_USAGES : AES_USAGES;
  const missing = needed.filter((usage) => !Array.isArray(usages) || !usages.includes(usage));
  if (missing.length > 0) return `may not ${missing.join(" or ")}; it needs ${needed.join(" and ")}`;
  return null;
}

function decodeKey(text: string, index: number): Uint8Array<ArrayBuffer> {
  const raw = typeof text === "string" ? decodeBase64Key(text) : null;
  if (!raw) {
    throw new SessionKeyError(`Key #${index} is not valid base64 or base64url.`);
  }
  return raw;
}

async function importAll(inputs: readonly string[], importOne: (input: string, index: number) => Promise<CryptoKey>): Promise<KeyList> {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new SessionKeyError("At least one key or secret is required.");
  }
  const keys = (await Promise.all(inputs.map(importOne))) as KeyList;
  // The same key listed twice is a mistake in the list (a rotation that forgot to add the new key).
  keys.forEach((key, index) => {
    const earlier = keys.findIndex((other) => sameBytes(rawMaterial.get(other)!, rawMaterial.get(key)!));
    if (earlier !== index) throw new SessionKeyError(`Key #${index} is the same as key #${earlier}; list each key once.`);
  });
  return keys;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
