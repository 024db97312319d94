/**
 * Session IDs for server-side stores: 256 random bits, base64url. The
 * stores key their records by a SHA-256 of the ID, so that reading the
 * database does not hand out live session IDs; a session's public handle
 * (in a user's session list) is a hash of that hash, so it leads to
 * neither. A session bound to a user also carries that user's keyed tag.
 */
import { encodeBase64Url } from "../crypto/base64url.js";
import { keyedHash } from "../crypto/keyed-hash.js";
import { sha256Base64Url } from "../crypto/sha256.js";

const ID_BYTES = 32;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** 132 bits: unguessable, and short enough for a form field. */
const HANDLE_LENGTH = 22;

export function generateSessionId(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

/** `true` for a string shaped like an ID from `generateSessionId`. */
export function isWellFormedSessionId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * A session bound to a user carries a routing tag after a dot,
 * `<id>.<tag>`, the same for every session of that user: it lets a store
 * keep a user's sessions and their index together (one Redis Cluster hash
 * slot, one Durable Object), so that revoking them all is one atomic step,
 * and lets `revokeUserSessions(userId)` find them from the user ID alone,
 * with no lookup. The tag is keyed: HMAC-SHA-256 of the user ID under the
 * deployment's `userTagSecret`, so without the secret no dictionary of user
 * names ties a session ID to its user, and one user's tags differ between
 * deployments. Within one deployment it is the same for every session of a
 * user, so two IDs with one tag belong to one user: that much it shows.
 */
const TAG_LENGTH = 16;
const TAG_PATTERN = /^[A-Za-z0-9_-]{16}$/;
/** Labels of the two derivations; neither is a prefix of the other, so a tag and an index name are unrelated (with one label, the tag was the start of the name). */
const TAG_LABEL = "hattip-session/user-tag\u0000";
const INDEX_LABEL = "hattip-session/user-index\u0000";
/** A secret shorter than this is refused: anyone can learn their own tag and test guesses of the secret offline. */
export const MIN_USER_TAG_SECRET_LENGTH = 32;
/** User IDs whose keyed forms a store remembers: a bound session's every load checks its tag, one HMAC when not remembered. */
const REMEMBERED_USERS = 1000;

/** A user ID that passed `checkedUserId`, with the forms a store's index is keyed by. */
export interface IndexedUser {
  /** The user ID, as `bindUser()` took it. */
  readonly id: string;
  /** What a store's per-user index is keyed by (the PostgreSQL `user_hash` column, the KV entries' prefix): HMAC-SHA-256 under the secret, 43 characters. */
  readonly hash: string;
  /** The routing tag of the user's sessions' IDs: HMAC-SHA-256 under the secret with another label, 16 characters. */
  readonly tag: string;
}

/** The keyed forms of user IDs under one deployment's secret. */
export interface UserTagger {
  /** `userId`, checked (a TypeError otherwise), with its index hash and tag. */
  indexed(userId: unknown): Promise<IndexedUser>;
  /** The routing tag of every session of `userId`. */
  tag(userId: string): Promise<string>;
  /** What a store's per-user index is keyed by, for `userId`. */
  hash(userId: string): Promise<string>;
  /** Whether `tag` is the routing tag of `userId`'s sessions. */
  isTagOf(userId: string, tag: string): Promise<boolean>;
}

/** The keyed forms of user IDs under `secret` (checked by the caller), each remembered for the last thousand users. */
export function userTagger(secret: string): UserTagger {
  const mac = keyedHash(secret);
  const tag = remembered(async (userId) => (await mac(TAG_LABEL, userId)).slice(0, TAG_LENGTH));
  const hash = remembered((userId) => mac(INDEX_LABEL, userId));
  return {
    async indexed(userId) {
      const id = checkedUserId(userId);
      const [userTag, userHash] = await Promise.all([tag(id), hash(id)]);
      return { id, hash: userHash, tag: userTag };
    },
    tag,
    hash,
    isTagOf: async (userId, presented) => sameText(await tag(userId), presented),
  };
}

/**
 * Equal texts, compared with no early exit, as every tag and MAC in this
 * package is. (A tag in an ID cannot be changed without changing the
 * storage key the ID hashes to, so its timing would tell nothing here.)
 */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** `derive`, with the values of the last `REMEMBERED_USERS` user IDs kept: a bound session's every load needs its user's tag. */
function remembered(derive: (userId: string) => Promise<string>): (userId: string) => Promise<string> {
  const known = new Map<string, string>();
  return async (userId) => {
    const hit = known.get(userId);
    if (hit !== undefined) return hit;
    const value = await derive(userId);
    if (userId.length <= MAX_USER_ID_LENGTH) {
      // Oldest first out: a Map iterates in insertion order.
      if (known.size >= REMEMBERED_USERS) known.delete(known.keys().next().value!);
      known.set(userId, value);
    }
    return value;
  };
}

/** `id` split into the part `generateId` made and the routing tag, if it has one. */
export function splitSessionId(id: string): { base: string; tag: string | undefined } {
  const dot = id.lastIndexOf(".");
  if (dot > 0 && TAG_PATTERN.test(id.slice(dot + 1))) return { base: id.slice(0, dot), tag: id.slice(dot + 1) };
  return { base: id, tag: undefined };
}

/** The at-rest form of a session ID: what storage keys are made of. */
export const hashSessionId = sha256Base64Url;

/** The public handle of the session whose ID hashes to `idHash`. */
export async function handleFromIdHash(idHash: string): Promise<string> {
  return (await sha256Base64Url(`hattip-session/handle:${idHash}`)).slice(0, HANDLE_LENGTH);
}

/** The public handle of session `id`. */
export async function sessionHandleOf(id: string): Promise<string> {
  return handleFromIdHash(await hashSessionId(id));
}

const HANDLE_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${HANDLE_LENGTH}}$`);
const ID_HASH_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const MAX_USER_ID_LENGTH = 512;

/** `true` for a string shaped like a handle: anything else names no session and is not looked up. */
export function isSessionHandle(handle: unknown): handle is string {
  return typeof handle === "string" && HANDLE_PATTERN.test(handle);
}

/** `true` for a string shaped like an ID hash, as a per-user index holds them. */
export function isIdHash(value: unknown): value is string {
  return typeof value === "string" && ID_HASH_PATTERN.test(value);
}

/** `userId` as the per-user index methods take it, or a TypeError naming the mistake (an admin job passing `undefined`). */
export function checkedUserId(userId: unknown): string {
  if (typeof userId === "string" && userId.length > 0 && userId.length <= MAX_USER_ID_LENGTH) return userId;
  throw new TypeError(`A user ID must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters, as bindUser() takes it.`);
}
