/**
 * What the server-side stores (Redis, KV) share: their options, how a
 * session ID becomes a storage key, and how new IDs are made. The key is a
 * SHA-256 of the ID, so that whoever can read the database sees no ID a
 * browser could present.
 */
import { SessionSetupError } from "../errors.js";
import type { Awaitable, SessionData, SessionSerializationOptions } from "../types.js";
import { createSerializer, type Serializer } from "./serialization.js";
import { generateSessionId, hashSessionId, isWellFormedSessionId } from "./session-id.js";

export interface ExternalStoreOptions<Data = SessionData> {
  /** Prepended to every key. Defaults to `"session:"`. */
  prefix?: string;
  /** Makes a new session ID. Defaults to 256 random bits as base64url. */
  generateId?: () => Awaitable<string>;
  /**
   * Whether a client-sent ID is worth a lookup. Defaults to the shape of
   * `generateId`'s default; pair a custom `generateId` with its own check.
   */
  validateId?: (id: string) => boolean;
  serializationOptions?: SessionSerializationOptions<Data>;
}

export interface ExternalKeys<Data> {
  readonly serializer: Serializer<Data>;
  /** The storage key of `id`, or `null` when `id` is not one this store could have issued. */
  keyOf(id: string): Promise<string | null>;
  /** A fresh ID and its storage key. */
  newId(): Promise<{ id: string; key: string }>;
}

export function externalKeys<Data>(options: ExternalStoreOptions<Data>): ExternalKeys<Data> {
  const prefix = options.prefix ?? "session:";
  const generateId = options.generateId ?? generateSessionId;
  const validateId = options.validateId ?? isWellFormedSessionId;
  const keyOf = async (id: string) =>
    typeof id === "string" && validateId(id) ? prefix + (await hashSessionId(id)) : null;
  return {
    serializer: createSerializer(options.serializationOptions),
    keyOf,
    async newId() {
      const id = String(await generateId());
      const key = await keyOf(id);
      if (key === null) throw new SessionSetupError("generateId made an ID that validateId rejects.");
      return { id, key };
    },
  };
}
