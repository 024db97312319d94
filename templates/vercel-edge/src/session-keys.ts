/**
 * SESSION_KEYS: the AES-256 keys that seal the session cookie, base64url,
 * comma-separated, newest first. Each key is checked here first, so that a
 * key that cannot work is named with what is wrong with it and how to make
 * a good one, once.
 */
import { EncryptedCookieStore, isSessionError } from "hattip-session";

/** How to make a key and where to put it, on this platform. */
const HOW_TO = "Make one with `npm run --silent generate-key` and set it: `vercel env add SESSION_KEYS production` (locally: in .env).";
/** A 32-byte key as unpadded base64url: `npm run --silent generate-key` prints one. */
const KEY_CHARACTERS = 43;

/** SESSION_KEYS cannot be used; the message says which key, what is wrong and how to make one. */
export class SessionKeysError extends Error {
  override name = "SessionKeysError";
}

/** The keys in SESSION_KEYS, each checked; throws a SessionKeysError naming the first bad one. */
export function parseSessionKeys(value: string | undefined): [string, ...string[]] {
  const keys = (value ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  const [first, ...rest] = keys;
  if (first === undefined) throw new SessionKeysError(`SESSION_KEYS is not set. ${HOW_TO}`);
  keys.forEach((key, index) => {
    const problem = keyProblem(key);
    if (problem) throw new SessionKeysError(`SESSION_KEYS key ${index + 1} of ${keys.length} ${problem}. ${HOW_TO}`);
  });
  return [first, ...rest];
}

function keyProblem(key: string): string | undefined {
  const unpadded = key.replace(/=+$/, "");
  if (!/^[A-Za-z0-9_-]+$/.test(unpadded) && !/^[A-Za-z0-9+/]+$/.test(unpadded)) {
    return "is not base64url: it may hold only A-Z, a-z, 0-9, - and _";
  }
  if (unpadded.length !== KEY_CHARACTERS) {
    const bytes = Math.floor((unpadded.length * 6) / 8);
    return `is ${unpadded.length} characters (${bytes} bytes); an AES-256 key is ${KEY_CHARACTERS} base64url characters (32 bytes)`;
  }
  return undefined;
}

/** The AES-256 keys in SESSION_KEYS, imported for EncryptedCookieStore. */
export async function importSessionKeys(value: string | undefined): Promise<[CryptoKey, ...CryptoKey[]]> {
  const keys = parseSessionKeys(value);
  try {
    return await EncryptedCookieStore.generateKeysFromBase64(keys);
  } catch (error) {
    if (!isSessionError(error)) throw error;
    // The package's own message already says how to make a key.
    throw new SessionKeysError(`SESSION_KEYS holds a key that cannot be used: ${error.message}`, { cause: error });
  }
}
