/**
 * How a server-side store names what it keeps: a session ID becomes a
 * storage key, a SHA-256 of the ID, so that whoever can read the database
 * sees no ID a browser could present; a new ID is made, checked and, for a
 * session bound to a user, given that user's routing tag (its keyed form,
 * session-id.ts). The options behind it are checked once, in
 * external-store.ts.
 */
import { settle } from "../awaitable.js";
import { SessionSetupError } from "../errors.js";
import type { Awaitable } from "../types.js";
import type { Serializer } from "./serialization.js";
import { sha256Base64UrlSync } from "../crypto/sha256.js";
import { hashSessionId, splitSessionId } from "./session-id.js";

export interface StorageKey {
  /** The key the record lives under: the prefix, the routing tag in braces (a Cluster hash tag) if any, the ID's hash. */
  key: string;
  /** The SHA-256 of the whole ID: what an index stores, and what a handle is derived from. */
  idHash: string;
  /** The routing tag of a session bound to a user. */
  tag: string | undefined;
}

/** A new session ID and where it lives. */
export type NewId = { id: string } & StorageKey;

export interface ExternalKeys<Data> {
  readonly serializer: Serializer<Data>;
  readonly prefix: string;
  /**
   * Where `id` lives, or `null` when `id` is not one this store could have
   * issued. At once (no promise) where `validateId` answers at once and
   * node:crypto hashes: a read costs no extra tick.
   */
  locate(id: string): Awaitable<StorageKey | null>;
  /** The storage key of `id`, or `null` when `id` is not one this store could have issued. */
  keyOf(id: string): Awaitable<string | null>;
  /** The routing tag `id` carries, as `locate` reads it: `undefined` for an ID with none. At once where `validateId` answers at once. */
  tagOf(id: string): Awaitable<string | undefined>;
  /** A fresh ID as `generateId` made it, checked by `validateId`: no tag, no hash. */
  generate(): Promise<string>;
  /** A fresh ID and where it lives; bound to `userId`, it carries that user's routing tag. */
  newId(userId?: string): Promise<NewId>;
  /** The storage key of the session whose ID hashes to `idHash`: what a per-user index leads back to. */
  keyOfHash(idHash: string, tag: string | undefined): string;
}

/** The checked options the keys are made from. */
export interface KeySettings<Data> {
  prefix: string;
  generateId: () => Awaitable<string>;
  validateId: (id: string) => Awaitable<boolean>;
  serializer: Serializer<Data>;
  /** The routing tag of `userId`'s sessions (a SessionSetupError when the store has no secret to make it). */
  userTag: (userId: string) => Promise<string>;
}

export function externalKeys<Data>({ prefix, generateId, validateId, serializer, userTag }: KeySettings<Data>): ExternalKeys<Data> {
  const keyOfHash = (idHash: string, tag: string | undefined) => (tag === undefined ? prefix + idHash : `${prefix}{${tag}}${idHash}`);
  const storageKey = (idHash: string, tag: string | undefined): StorageKey => ({ key: keyOfHash(idHash, tag), idHash, tag });
  const located = (id: string, tag: string | undefined): Awaitable<StorageKey> => {
    const idHash = sha256Base64UrlSync(id);
    return idHash === null ? hashSessionId(id).then((hash) => storageKey(hash, tag)) : storageKey(idHash, tag);
  };
  /** The tag of a tagged ID whose part before it is one `generateId` could have made; at once when `validateId` answers at once. */
  const tagNow = (id: string): Awaitable<string | undefined> => {
    const { base, tag } = splitSessionId(id);
    return tag === undefined ? undefined : settle(validateId(base), (valid) => (valid ? tag : undefined));
  };
  const locate = (id: string): Awaitable<StorageKey | null> => {
    if (typeof id !== "string" || id.length === 0) return null;
    return settle(tagNow(id), (tag) =>
      tag !== undefined ? located(id, tag) : settle(validateId(id), (valid) => (valid ? located(id, undefined) : null)),
    );
  };
  const generate = async () => {
    const base = String(await generateId());
    if (!(await validateId(base))) {
      throw new SessionSetupError(`generateId made an ID that validateId rejects: ${JSON.stringify(base.slice(0, 60))}.`);
    }
    return base;
  };
  return {
    serializer,
    prefix,
    locate,
    keyOf: (id) => settle(locate(id), (found) => found?.key ?? null),
    keyOfHash,
    tagOf: tagNow,
    generate,
    async newId(userId) {
      const base = await generate();
      const tag = userId === undefined ? undefined : await userTag(userId);
      const id = tag === undefined ? base : `${base}.${tag}`;
      return { id, ...(await located(id, tag)) };
    },
  };
}
