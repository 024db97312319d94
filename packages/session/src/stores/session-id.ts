/**
 * Session IDs for server-side stores: 256 random bits, base64url. The
 * stores key their records by a SHA-256 of the ID, so that reading the
 * database does not hand out live session IDs; a session's public handle
 * (in a user's session list) is a hash of that hash, so it leads to
 * neither.
 */
import { encodeBase64Url } from "../crypto/base64url.js";
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
 * slot, one Durable Object), so that revoking them all is one atomic step.
 * The tag is a hash of the user ID, never the ID itself.
 */
const TAG_LENGTH = 16;
const TAG_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/**
 * The at-rest form of a user ID: what a store's per-user index column holds
 * (PostgreSQL), so that the index names no user in the clear.
 */
export async function userHash(userId: string): Promise<string> {
  return sha256Base64Url(`hattip-session/user:${userId}`);
}

/** The routing tag of every session of `userId`: the start of its `userHash`. */
export async function userTag(userId: string): Promise<string> {
  return (await userHash(userId)).slice(0, TAG_LENGTH);
}

/** A user ID that passed `checkedUserId`, with the forms a store's index is keyed by. */
export interface IndexedUser {
  /** The user ID, as `bindUser()` took it. */
  readonly id: string;
  /** Its `userHash`. */
  readonly hash: string;
  /** Its `userTag`, the routing tag of its sessions' IDs. */
  readonly tag: string;
}

/** `userId`, checked (a TypeError otherwise), with its hash and tag. */
export async function indexedUser(userId: unknown): Promise<IndexedUser> {
  const id = checkedUserId(userId);
  const hash = await userHash(id);
  return { id, hash, tag: hash.slice(0, TAG_LENGTH) };
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
