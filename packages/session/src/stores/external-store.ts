/**
 * The base of every server-side store (memory, Redis, KV, Durable Objects,
 * PostgreSQL, Netlify Blobs): what they all take and owe, written once.
 *
 * - The options they share are checked here, at construction: `prefix`,
 *   `generateId` with `validateId`, `serializationOptions`, `timeout`,
 *   `userTagSecret`.
 * - A user's keyed forms (the tag in their sessions' IDs, the name of
 *   their index) are made here, from `userTagSecret`, and nowhere else.
 *   Binding, listing or revoking without the secret is a SessionSetupError
 *   naming it, thrown at the first call that needs it (`bindUser()` asks
 *   before the request goes on).
 * - Every load is checked here too: a session bound to a user is served
 *   only under an ID that carries that user's tag under this secret. One
 *   bound under another secret (or under the unkeyed tag of builds before
 *   the secret, whose index a revoke would never reach) is no session, and
 *   is destroyed.
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
import { SessionKeyError, SessionSetupError } from "../errors.js";
import type { CookieRefusalReason } from "../events.js";
import { RecordStore, type StoredEntry } from "../record-store.js";
import { EXPLAIN_REFUSAL, reportedUserIndex, STORE_TELEMETRY, UNREPORTED_USER_INDEX, type UnreportedUserIndex } from "../store-reporting.js";
import { Telemetry, type TelemetryOptions } from "../telemetry.js";
import type { Awaitable, RecordCodec, SessionData, SessionRecord, SessionSerializationOptions, UserSessionIndex, UserSessionInfo } from "../types.js";
import { isThenable, settle } from "../awaitable.js";
import { encodeBase64Url } from "../crypto/base64url.js";
import { externalKeys, type ExternalKeys, type NewId } from "./external-keys.js";
import { recordToText, textToRecord } from "./record-text.js";
import { createSerializer } from "./serialization.js";
import {
  generateSessionId,
  isSessionHandle,
  isWellFormedSessionId,
  MIN_USER_TAG_SECRET_LENGTH,
  sessionHandleOf,
  userTagger,
  type IndexedUser,
  type UserTagger,
} from "./session-id.js";
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
  /**
   * The secret a session's user tag is made with: a session bound to a user
   * (`bindUser()`) gets an ID `<id>.<tag>`, the tag HMAC-SHA-256 of the user
   * ID under this secret, and the store's per-user index is named the same
   * way. Without the secret, no dictionary of user names or e-mail
   * addresses ties a session ID, a key or a row to its user, and one user's
   * sessions in two deployments (two secrets) do not link. Within this
   * deployment every session of a user has the same tag.
   *
   * At least 32 random characters (`openssl rand -base64 32`), kept like a
   * key, the same on every server of the deployment, a different one for
   * each deployment. Required to bind sessions to users and to list or
   * revoke them: without it those throw `SessionSetupError`; anonymous
   * sessions need none. Changing it ends every session bound under the old
   * one: their users sign in again.
   * @default undefined (anonymous sessions only)
   * @example
   * ```ts
   * new RedisSessionStore({ getClient: () => redis, userTagSecret: process.env.SESSION_TAG_SECRET })
   * ```
   */
  userTagSecret?: string | undefined;
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
  /**
   * `false` for a store whose bound sessions' IDs carry no tag (memory,
   * which finds a user's sessions in a Map of its own): it needs no secret,
   * makes its keyed forms with a random one, and checks no tag at load.
   * @default true
   */
  readonly tagsUsers?: boolean;
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
  /** The keyed forms of user IDs, when the store has a secret to make them with. */
  readonly #tagger: UserTagger | undefined;
  readonly #tagsUsers: boolean;
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
    this.#tagsUsers = setup.tagsUsers ?? true;
    this.#tagger = this.#tagsUsers ? taggerOf(given.userTagSecret, setup.name) : userTagger(randomSecret());
    this.keys = externalKeys({
      prefix,
      generateId: given.generateId ?? generateSessionId,
      validateId: validatesIds ? (given.validateId ?? isWellFormedSessionId) : acceptAnyId,
      serializer: createSerializer(given.serializationOptions),
      userTag: (userId) => this.#userTags("bind a session to a user").tag(userId),
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
   * The record of `id`, from the store's `readEntry`, if it may be served:
   * a session bound to a user only under an ID carrying that user's tag
   * under this store's secret, and an anonymous one only under an ID with
   * no tag. Any other is no session, and is destroyed: one bound under
   * another secret, or under the unkeyed tag of builds before the secret,
   * whose index a revoke of its user would never reach.
   */
  loadEntry(id: string, ctx?: RequestContext): Awaitable<StoredEntry<NoInfer<Data>> | null> {
    // At once where the store reads at once (the memory store) and the ID needs no check against its user.
    const entry = this.readEntry(id, ctx);
    return isThenable(entry) ? entry.then((found) => this.#servable(id, found, ctx)) : this.#servable(id, entry, ctx);
  }

  #servable(id: string, entry: StoredEntry<NoInfer<Data>> | null, ctx: RequestContext | undefined): Awaitable<StoredEntry<NoInfer<Data>> | null> {
    if (entry === null || !this.#tagsUsers) return entry;
    const user = entry.record.meta?.user;
    return settle(this.keys.tagOf(id), (tag) => (user === undefined && tag === undefined ? entry : this.#servedAsTagged(id, entry, user, tag, ctx)));
  }

  /** `entry`, bound to `user` and read under an ID tagged `tag`, if the tag is the user's; otherwise destroyed, and `null`. */
  async #servedAsTagged(
    id: string,
    entry: StoredEntry<NoInfer<Data>>,
    user: string | undefined,
    tag: string | undefined,
    ctx: RequestContext | undefined,
  ): Promise<StoredEntry<NoInfer<Data>> | null> {
    if (user !== undefined && tag !== undefined && (await this.#userTags("load a session bound to a user").isTagOf(user, tag))) return entry;
    // What a destroy can end, it ends; if the backend fails now, the session is still not served, and the next load tries again.
    await Promise.resolve()
      .then(() => this.destroyRecord(id, ctx))
      .catch(() => undefined);
    return null;
  }

  assertCanBindUsers(): void {
    this.#userTags("bind a session to a user");
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

  /** The record of `id` as stored, or `null` when it is unknown, expired or invalid; `loadEntry` checks its binding. */
  protected abstract readEntry(id: string, ctx: RequestContext | undefined): Awaitable<StoredEntry<Data> | null>;

  /** What the store's per-user index is keyed by, for `userId`: its keyed hash (session-id.ts). */
  protected userHash(userId: string): Promise<string> {
    return this.#userTags("keep a user's index").hash(userId);
  }

  /** The keyed forms of user IDs, or the SessionSetupError that says to pass `userTagSecret`. */
  #userTags(what: string): UserTagger {
    if (this.#tagger) return this.#tagger;
    throw new SessionSetupError(
      `${this.storeName} needs \`userTagSecret\` to ${what}: pass \`userTagSecret: process.env.SESSION_TAG_SECRET\`, ` +
        `at least ${MIN_USER_TAG_SECRET_LENGTH} random characters (\`openssl rand -base64 32\`), the same on every server of this app. ` +
        "It keys the user tag in the IDs of sessions bound to a user, so that no one without it can tell whose session an ID is. " +
        "Sessions bound to no user need none.",
    );
  }

  async #listUserSessions(userId: string, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const user = await this.#userTags("list a user's sessions").indexed(userId);
    return latestListed(await this.listSessionsOf(user, MAX_LISTED_USER_SESSIONS, ctx), MAX_LISTED_USER_SESSIONS);
  }

  /** `false` when `handle` is not shaped like one: it names no session, and the answer is the same as for one that names none. */
  async #revokeUserSession(userId: string, handle: string, ctx: RequestContext | undefined): Promise<boolean> {
    const user = await this.#userTags("revoke a user's session").indexed(userId);
    if (!isSessionHandle(handle)) return false;
    await this.revokeSessionOf(user, handle, ctx);
    return true;
  }

  /** The handle kept: a handle to keep that is not shaped like one keeps nothing. */
  async #revokeUserSessions(userId: string, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<string | undefined> {
    const user = await this.#userTags("revoke a user's sessions").indexed(userId);
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

  /**
   * The record as this store's text and back, with its serializer: what
   * `session({ cache })` puts in the browser's copy of a session.
   */
  recordCodec(): RecordCodec<Data> {
    const { serializer } = this.keys;
    return {
      format: (record) => recordToText(record, serializer),
      parse: (text, now) => textToRecord(text, serializer, now),
    };
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

/** The tagger of a store given `secret`: none without one; a SessionKeyError for one too short to stay secret. */
function taggerOf(secret: unknown, storeName: string): UserTagger | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret !== "string" || secret.length < MIN_USER_TAG_SECRET_LENGTH) {
    const got = typeof secret === "string" ? `${secret.length} characters` : `a ${typeof secret}`;
    throw new SessionKeyError(
      `${storeName} \`userTagSecret\` is ${got}; it must be a string of at least ${MIN_USER_TAG_SECRET_LENGTH} random characters. ` +
        "Make one with `openssl rand -base64 32` and keep it like a key (anyone who has it can tell whose session an ID is).",
    );
  }
  return userTagger(secret);
}

/** A secret of this process's own, for a store that never shows its tags (memory). */
function randomSecret(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}
