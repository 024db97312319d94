/**
 * What the server-side stores share: their options, how a session ID
 * becomes a storage key, and how new IDs are made. The key is a SHA-256 of
 * the ID, so that whoever can read the database sees no ID a browser could
 * present.
 */
import { SessionSetupError } from "../errors.js";
import type { Awaitable, SessionData, SessionSerializationOptions } from "../types.js";
import { createSerializer, type Serializer } from "./serialization.js";
import { generateSessionId, hashSessionId, isWellFormedSessionId } from "./session-id.js";

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
  serializationOptions?: SessionSerializationOptions<Data>;
}

export interface ExternalKeys<Data> {
  readonly serializer: Serializer<Data>;
  /** The storage key of `id`, or `null` when `id` is not one this store could have issued. */
  keyOf(id: string): Promise<string | null>;
  /** A fresh ID and its storage key. */
  newId(): Promise<{ id: string; key: string }>;
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
  const keyOf = async (id: string) =>
    typeof id === "string" && id.length > 0 && (await validateId(id)) ? prefix + (await hashSessionId(id)) : null;
  return {
    serializer: createSerializer(options.serializationOptions),
    keyOf,
    async newId() {
      const id = String(await generateId());
      const key = await keyOf(id);
      if (key === null) throw new SessionSetupError(`generateId made an ID that validateId rejects: ${JSON.stringify(id.slice(0, 60))}.`);
      return { id, key };
    },
  };
}
