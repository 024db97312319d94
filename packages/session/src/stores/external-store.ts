/**
 * The base of every server-side store (memory, Redis, KV, Durable Objects,
 * PostgreSQL, Netlify Blobs): what they all take and owe, written once.
 *
 * - The options they share are checked here, at construction: `prefix`,
 *   `generateId` with `validateId`, `serializationOptions`, `timeout`.
 * - A new session ID is tried a few times (`withNewId`): a write that finds
 *   its key taken answers `ID_TAKEN`, and a `generateId` that keeps
 *   colliding is a setup error, not a loop.
 * - The per-user index methods are template methods: the public ones check
 *   the user ID (a TypeError for anything but a non-empty string) and the
 *   handle (anything not shaped like one names no session) before any
 *   store's own code runs, and cap the list. A store implements the three
 *   protected hooks, which only ever see checked values, so a new store
 *   cannot skip the checks.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError } from "../errors.js";
import type { CookieRefusalReason } from "../events.js";
import { RecordStore } from "../record-store.js";
import { EXPLAIN_REFUSAL, reportedUserIndex, STORE_TELEMETRY, UNREPORTED_USER_INDEX, type UnreportedUserIndex } from "../store-reporting.js";
import { Telemetry, type TelemetryOptions } from "../telemetry.js";
import type { Awaitable, SessionData, SessionRecord, SessionSerializationOptions, UserSessionIndex, UserSessionInfo } from "../types.js";
import { externalKeys, type ExternalKeys, type NewId } from "./external-keys.js";
import { recordToText } from "./record-text.js";
import { createSerializer } from "./serialization.js";
import { generateSessionId, indexedUser, isSessionHandle, isWellFormedSessionId, sessionHandleOf, type IndexedUser } from "./session-id.js";
import { latestListed, MAX_LISTED_USER_SESSIONS } from "./user-sessions.js";

export interface ExternalStoreOptions<Data = SessionData> extends TelemetryOptions {
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

/** What a store tells the base about itself. */
export interface ExternalStoreSetup {
  /** The class name, for messages. */
  readonly name: string;
  /** The default `prefix`, for a store that takes one; a store without it keys by hash alone and ignores `prefix`. */
  readonly prefix?: string;
  /** The default `timeout` in milliseconds, for a store that bounds its waits on a backend. */
  readonly timeout?: number;
  /**
   * `false` for a store that looks up any ID as it is (memory): it needs no
   * `validateId` beside a custom `generateId`.
   * @default true
   */
  readonly validatesIds?: boolean;
}

/** What a write answers when the new ID's key was already taken: `withNewId` tries another. */
export const ID_TAKEN: unique symbol = Symbol("ID taken");
export type IdTaken = typeof ID_TAKEN;

/** Tries of a new ID before `generateId` is judged not random enough. */
const NEW_ID_ATTEMPTS = 3;
/** setTimeout's ceiling: a longer wait fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export abstract class ExternalStore<Data = SessionData> extends RecordStore<Data> implements UserSessionIndex {
  /** Storage keys, new IDs and the serializer. */
  protected readonly keys: ExternalKeys<Data>;
  /** How long one call to the backend may take, in milliseconds (0 for a store that sets no deadline). */
  protected readonly timeout: number;
  /** The class name, for messages. */
  protected readonly storeName: string;
  /** What the store reports its user-index calls to (`events`, `tracer`, `meter`), if anything. */
  readonly #telemetry: Telemetry | undefined;
  /** The user index, reported: only when there is something to report to. */
  readonly #reported: UserSessionIndex | undefined;

  constructor(options: (ExternalStoreOptions<Data> & { timeout?: number }) | undefined, setup: ExternalStoreSetup) {
    super();
    const given = options ?? {};
    this.storeName = setup.name;
    const validatesIds = setup.validatesIds ?? true;
    if (given.generateId !== undefined && typeof given.generateId !== "function") {
      throw new SessionSetupError(`${setup.name} \`generateId\` must be a function that returns a new session ID.`);
    }
    if (validatesIds && given.validateId !== undefined && typeof given.validateId !== "function") {
      throw new SessionSetupError(`${setup.name} \`validateId\` must be a function that tells whether an ID could be one of yours.`);
    }
    if (validatesIds && given.generateId !== undefined && given.validateId === undefined) {
      throw new SessionSetupError(
        `${setup.name} got a custom generateId without validateId: pass validateId too, a function that returns true for the IDs your generateId makes ` +
          "(the default check only accepts the default 43-character IDs).",
      );
    }
    const prefix = setup.prefix === undefined ? "" : (given.prefix ?? setup.prefix);
    if (typeof prefix !== "string") throw new SessionSetupError(`${setup.name} \`prefix\` must be a string.`);
    this.timeout = setup.timeout === undefined ? 0 : (given.timeout ?? setup.timeout);
    if (setup.timeout !== undefined && !(Number.isFinite(this.timeout) && this.timeout > 0 && this.timeout <= MAX_TIMEOUT_MS)) {
      throw new SessionSetupError(`${setup.name} \`timeout\` must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS}).`);
    }
    this.keys = externalKeys({
      prefix,
      generateId: given.generateId ?? generateSessionId,
      validateId: validatesIds ? (given.validateId ?? isWellFormedSessionId) : acceptAnyId,
      serializer: createSerializer(given.serializationOptions),
    });
    this.#telemetry = Telemetry.of(given, setup.name);
    this.#reported =
      this.#telemetry &&
      reportedUserIndex(this[UNREPORTED_USER_INDEX], {
        telemetry: this.#telemetry,
        store: setup.name,
        cookieName: undefined,
        requestedBy: () => ({ kind: "app" }),
      });
  }

  /**
   * The user's live sessions, oldest first: at most
   * `MAX_LISTED_USER_SESSIONS`, those with the latest deadlines.
   */
  listUserSessions(userId: string, ctx?: RequestContext): Promise<UserSessionInfo[]> {
    return this.#reported ? this.#reported.listUserSessions(userId, ctx) : this.#listUserSessions(userId, ctx);
  }

  async revokeUserSession(userId: string, handle: string, ctx?: RequestContext): Promise<void> {
    await (this.#reported ? this.#reported.revokeUserSession(userId, handle, ctx) : this.#revokeUserSession(userId, handle, ctx));
  }

  async revokeUserSessions(userId: string, ctx?: RequestContext, exceptHandle?: string): Promise<void> {
    await (this.#reported ? this.#reported.revokeUserSessions(userId, ctx, exceptHandle) : this.#revokeUserSessions(userId, exceptHandle, ctx));
  }

  sessionHandle(sessionId: string): Promise<string> {
    return sessionHandleOf(sessionId);
  }

  async #listUserSessions(userId: string, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const user = await indexedUser(userId);
    return latestListed(await this.listSessionsOf(user, MAX_LISTED_USER_SESSIONS, ctx), MAX_LISTED_USER_SESSIONS);
  }

  /** `false` when `handle` is not shaped like one: it names no session, and the answer is the same as for one that names none. */
  async #revokeUserSession(userId: string, handle: string, ctx: RequestContext | undefined): Promise<boolean> {
    const user = await indexedUser(userId);
    if (!isSessionHandle(handle)) return false;
    await this.revokeSessionOf(user, handle, ctx);
    return true;
  }

  /** The handle kept: a handle to keep that is not shaped like one keeps nothing. */
  async #revokeUserSessions(userId: string, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<string | undefined> {
    const user = await indexedUser(userId);
    const kept = isSessionHandle(exceptHandle) ? exceptHandle : undefined;
    await this.revokeSessionsOf(user, kept, ctx);
    return kept;
  }

  /** @internal The user index as session() reports it itself, with the session that asked. */
  get [UNREPORTED_USER_INDEX](): UnreportedUserIndex {
    return {
      list: (userId, ctx) => this.#listUserSessions(userId, ctx),
      revokeOne: (userId, handle, ctx) => this.#revokeUserSession(userId, handle, ctx),
      revokeAll: (userId, exceptHandle, ctx) => this.#revokeUserSessions(userId, exceptHandle, ctx),
      sessionHandle: (sessionId) => this.sessionHandle(sessionId),
    };
  }

  /** @internal The listeners, tracer and meter this store was given, for session() to report its calls to as well. */
  get [STORE_TELEMETRY](): Telemetry | undefined {
    return this.#telemetry;
  }

  /** @internal Why `loadEntry` found nothing for `id`: not an ID of this store's shape, or no live session under it. */
  async [EXPLAIN_REFUSAL](id: string): Promise<CookieRefusalReason> {
    return (await this.keys.locate(id)) === null ? "malformed" : "unknown_session";
  }

  /**
   * The user's live sessions, in any order. Return at most `limit`, those
   * with the latest deadlines, where the backend can pick them; the base
   * keeps that many of whatever comes back.
   */
  protected abstract listSessionsOf(user: IndexedUser, limit: number, ctx: RequestContext | undefined): Promise<UserSessionInfo[]>;
  /** Ends the user's session whose handle is `handle` (shaped like a handle); a handle of no session of theirs ends nothing. */
  protected abstract revokeSessionOf(user: IndexedUser, handle: string, ctx: RequestContext | undefined): Promise<void>;
  /** Ends every session of the user but the one whose handle is `exceptHandle`, if given (shaped like a handle). */
  protected abstract revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void>;

  /**
   * Runs `write` with a new ID (bound to `userId`, it carries that user's
   * tag) until it answers something else than `ID_TAKEN`.
   */
  protected withNewId<T>(userId: string | undefined, write: (fresh: NewId) => Awaitable<T | IdTaken>): Promise<T> {
    return this.withFreshId(() => this.keys.newId(userId), write);
  }

  /** `withNewId`, for IDs from `next`: a store that keys by the ID itself needs no hash of it. */
  protected async withFreshId<Fresh, T>(next: () => Promise<Fresh>, write: (fresh: Fresh) => Awaitable<T | IdTaken>): Promise<T> {
    for (let attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
      const outcome = await write(await next());
      if (outcome !== ID_TAKEN) return outcome;
    }
    throw new SessionSetupError(`generateId returned IDs already in use ${NEW_ID_ATTEMPTS} times in a row: it is not random enough.`);
  }

  /** The text a store keeps for `record` (record-text.ts); a session that never ends cannot be stored with a deadline. */
  protected recordText(record: SessionRecord<Data>): string {
    if (!Number.isFinite(record.expiresAt)) throw new SessionSetupError(`${this.storeName} needs a finite session lifetime.`);
    return recordToText(record, this.keys.serializer);
  }
}

function acceptAnyId(): boolean {
  return true;
}
