/**
 * What the server-side stores share: their options, how a session ID
 * becomes a storage key, and how new IDs are made. The key is a SHA-256 of
 * the ID, so that whoever can read the database sees no ID a browser could
 * present.
 */
import { SessionSetupError } from "../errors.js";
import type { Awaitable, SessionData, SessionSerializationOptions } from "../types.js";
import { createSerializer, type Serializer } from "./serialization.js";
import { generateSessionId, hashSessionId, isWellFormedSessionId, splitSessionId, userTag } from "./session-id.js";

export interface ExternalStoreOptions<Data = SessionData> {
  /**
   * Prepended to every key.
   * @default "session:"
   */
  prefix?: string;
  /**
   * Makes a new session ID. Pair a custom one with `validateId`.
   * @default 256 random bits as base64url
   */
  generateId?: () => Awaitable<string>;
  /**
   * Whether a client-sent ID is worth a lookup; may be async. Required with
   * a custom `generateId`, since only you know the shape of your IDs.
   * @default the shape of the default `generateId` (43 base64url characters)
   */
  validateId?: (id: string) => Awaitable<boolean>;
  /**
   * How session data becomes text and back (`serialize`/`deserialize`),
   * say for dates or a format other than JSON.
   * @default JSON, with `__proto__`, `constructor` and `prototype` keys dropped on read
   */
  serializationOptions?: SessionSerializationOptions<Data>;
}

export interface StorageKey {
  /** The key the record lives under: the prefix, the routing tag in braces (a Cluster hash tag) if any, the ID's hash. */
  key: string;
  /** The SHA-256 of the whole ID: what an index stores, and what a handle is derived from. */
  idHash: string;
  /** The routing tag of a session bound to a user. */
  tag: string | undefined;
}

export interface ExternalKeys<Data> {
  readonly serializer: Serializer<Data>;
  readonly prefix: string;
  /** Where `id` lives, or `null` when `id` is not one this store could have issued. */
  locate(id: string): Promise<StorageKey | null>;
  /** The storage key of `id`, or `null` when `id` is not one this store could have issued. */
  keyOf(id: string): Promise<string | null>;
  /** A fresh ID and where it lives; bound to `userId`, it carries that user's routing tag. */
  newId(userId?: string): Promise<{ id: string } & StorageKey>;
  /** The storage key of the session whose ID hashes to `idHash`: what a per-user index leads back to. */
  keyOfHash(idHash: string, tag: string | undefined): string;
}

export function externalKeys<Data>(options: ExternalStoreOptions<Data>, storeName: string): ExternalKeys<Data> {
  if (options.generateId !== undefined && options.validateId === undefined) {
    throw new SessionSetupError(
      `${storeName} got a custom generateId without validateId: pass validateId too, a function that returns true for the IDs your generateId makes ` +
        "(the default check only accepts the default 43-character IDs).",
    );
  }
  const prefix = options.prefix ?? "session:";
  const generateId = options.generateId ?? generateSessionId;
  const validateId = options.validateId ?? isWellFormedSessionId;
  const keyOfHash = (idHash: string, tag: string | undefined) => (tag === undefined ? prefix + idHash : `${prefix}{${tag}}${idHash}`);
  const located = async (id: string, tag: string | undefined): Promise<StorageKey> => {
    const idHash = await hashSessionId(id);
    return { key: keyOfHash(idHash, tag), idHash, tag };
  };
  const locate = async (id: string): Promise<StorageKey | null> => {
    if (typeof id !== "string" || id.length === 0) return null;
    const { base, tag } = splitSessionId(id);
    if (tag !== undefined && (await validateId(base))) return located(id, tag);
    return (await validateId(id)) ? located(id, undefined) : null;
  };
  return {
    serializer: createSerializer(options.serializationOptions),
    prefix,
    locate,
    keyOf: async (id) => (await locate(id))?.key ?? null,
    keyOfHash,
    async newId(userId) {
      const base = String(await generateId());
      if (!(await validateId(base))) {
        throw new SessionSetupError(`generateId made an ID that validateId rejects: ${JSON.stringify(base.slice(0, 60))}.`);
      }
      const tag = userId === undefined ? undefined : await userTag(userId);
      const id = tag === undefined ? base : `${base}.${tag}`;
      return { id, ...(await located(id, tag)) };
    },
  };
}
