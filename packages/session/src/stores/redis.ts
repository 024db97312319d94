/**
 * Sessions in Redis, through a node-redis client (`createClient`), cluster
 * (`createCluster`) or Sentinel client (`createSentinel`), v4 and later.
 * One key per session, the value `1|createdAt|expiresAt|<data>` with a TTL
 * set in the same SET: a read-only request costs one GET, a write one SET.
 * A session bound to a user is written by a script that also keeps that
 * user's index (redis-user-scripts.ts): still one command per write. With
 * `durability`, the writes that create or end sessions also wait for
 * replicas, in the same round trip (redis-durability.ts).
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import { RecordStore, type StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionIndex, UserSessionInfo } from "../types.js";
import { externalKeys, type ExternalKeys, type ExternalStoreOptions, type StorageKey } from "./external-keys.js";
import { recordToText, textToRecord } from "./record-text.js";
import {
  durabilityOf,
  writeDurably,
  type RedisDurability,
  type RedisDurabilityOptions,
  type RedisMultiCapable,
  type RedisWriteTarget,
} from "./redis-durability.js";
import { DESTROY_BOUND, isNoScript, REVOKE_BOUND, ROTATE_BOUND, scriptSha1, WRITE_BOUND, type RedisScript } from "./redis-user-scripts.js";
import { checkedUserId, handleFromIdHash, idsExhausted, isIdHash, isSessionHandle, sessionHandleOf, userTag } from "./session-id.js";
import { oldestFirst, userSessionInfo } from "./user-sessions.js";

/**
 * The part of a node-redis client, cluster or Sentinel client the store
 * uses. Clients from `redis` (v4, v5, v6), `createCluster` and
 * `createSentinel` fit as they are.
 */
export interface RedisClientLike extends Partial<RedisMultiCapable> {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { PX: number; NX?: true; XX?: true }): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** Reads a user's index (a sorted set), a plain read: listing writes nothing. */
  zRange(key: string, start: number, stop: number): Promise<unknown[]>;
  /** Reads a user's sessions at once (keys of one slot). */
  mGet(keys: string[]): Promise<unknown[]>;
  /** Runs a cached script: how a bound session and its user's index are written together. */
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** Runs (and caches) a script, when `evalSha` finds it missing. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  on(event: "error", listener: (error: unknown) => void): unknown;
  listenerCount(event: "error"): number;
}

export interface RedisSessionStoreOptions<Data = SessionData> extends ExternalStoreOptions<Data> {
  /**
   * The client to use for this request. Return the same client every time
   * (create it once, outside the handler): the store connects it on first
   * use and shares that connection across requests.
   */
  getClient: (ctx: RequestContext) => Awaitable<RedisClientLike>;
  /**
   * How long a request may wait for Redis (to connect, or to answer one
   * command) before it fails with `SessionStoreUnavailableError`, in
   * milliseconds.
   * @default 2000
   */
  timeout?: number;
  /**
   * Makes the writes that create or end a session (a new session, login,
   * regenerate, logout, revoke) wait until `replicas` replicas have them
   * (Redis `WAIT`, in the same round trip as the write). When they do not
   * confirm within `durability.timeout`, the request fails with
   * `SessionStoreUnavailableError` (answer 503): a login is not handed
   * out and a logout is not acknowledged, though its cookie is still
   * cleared, since a failover could undo either. Off by default: without
   * it, a failover can lose the last such writes (see RELIABILITY.md).
   *
   * @default undefined (no `WAIT`: a write is acknowledged by the primary alone)
   * @example
   * ```ts
   * new RedisSessionStore({ getClient: () => sentinel, durability: { replicas: 1, timeout: 500 } });
   * ```
   */
  durability?: RedisDurabilityOptions;
}

interface Connecting {
  promise: Promise<void>;
  startedAt: number;
}

const connecting = new WeakMap<RedisClientLike, Connecting>();
const watched = new WeakSet<RedisClientLike>();
const lastErrors = new WeakMap<RedisClientLike, unknown>();
const NEW_ID_ATTEMPTS = 3;
/** Rounds of a revoke-all before giving up on a user whose sessions keep appearing faster than they are ended. */
const MAX_REVOKE_ROUNDS = 8;
const utf8 = new TextDecoder();

/**
 * Sessions in Redis (a client, a Cluster or a Sentinel client from
 * node-redis 4 or later): one GET per read-only request, one SET per write,
 * and a user's sessions listed and revoked through an index that expires
 * with them.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * const redis = createClient({ url: process.env.REDIS_URL });
 * app.use(session({ store: new RedisSessionStore({ getClient: () => redis }) }));
 * ```
 */
export class RedisSessionStore<Data = SessionData> extends RecordStore<Data> implements UserSessionIndex {
  readonly #getClient: (ctx: RequestContext) => Awaitable<RedisClientLike>;
  readonly #keys: ExternalKeys<Data>;
  readonly #timeout: number;
  readonly #durability: RedisDurability | undefined;

  constructor(options: RedisSessionStoreOptions<Data>) {
    super();
    if (typeof options?.getClient !== "function") {
      throw new SessionSetupError("RedisSessionStore needs `getClient`, a function that returns a node-redis client.");
    }
    this.#getClient = options.getClient;
    this.#keys = externalKeys(options, "RedisSessionStore");
    this.#timeout = options.timeout ?? 2000;
    if (!(this.#timeout > 0)) throw new SessionSetupError("RedisSessionStore `timeout` must be a positive number of milliseconds.");
    this.#durability = durabilityOf(options.durability, this.#timeout);
  }

  async loadEntry(id: string, ctx: RequestContext): Promise<StoredEntry<Data> | null> {
    const key = await this.#keys.keyOf(id);
    if (key === null) return null;
    const client = await this.#ready(ctx);
    let text: unknown;
    try {
      text = await this.#command(client, client.get(key));
    } catch (error) {
      // A key of another type is as good as a corrupted value: start afresh.
      if (isWrongType(error)) return null;
      throw error;
    }
    // A client set up to map strings to Buffers (typeMapping) returns bytes.
    if (text instanceof Uint8Array) text = utf8.decode(text);
    return typeof text === "string" ? textToRecord(text, this.#keys.serializer, Date.now()) : null;
  }

  /** A new ID, written with `SET ... NX` (or its script, for a bound session), which can never overwrite another session. */
  async createRecord(record: SessionRecord<Data>, ctx: RequestContext): Promise<string> {
    const text = this.#text(record);
    const client = await this.#ready(ctx);
    for (let attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
      const fresh = await this.#keys.newId(record.meta?.user);
      if (await this.#create(client, fresh, text, record.expiresAt)) return fresh.id;
    }
    throw idsExhausted(NEW_ID_ATTEMPTS);
  }

  /**
   * `SET ... XX` (for a bound session, its script, which checks the same
   * way): only a session that still exists is replaced. If it was
   * destroyed meanwhile (a logout in another tab, or a revoke from another
   * device), nothing is written and the logout stands.
   */
  async updateRecord(id: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    const where = await this.#keys.locate(id);
    if (where === null) return null;
    const text = this.#text(record);
    const client = await this.#ready(ctx);
    return (await this.#update(client, where, text, record.expiresAt)) ? id : null;
  }

  async destroyRecord(id: string, ctx: RequestContext): Promise<boolean> {
    const where = await this.#keys.locate(id);
    if (where === null) return false;
    const client = await this.#ready(ctx);
    return this.#destroy(client, where);
  }

  /**
   * The old key's `DEL` and the new key's `SET ... NX` go out together (one
   * round trip, also when a Cluster keeps them on different nodes). If the
   * `DEL` found nothing, the session was ended meanwhile: the new key, whose
   * ID nobody has seen yet, is deleted again and the regenerate refused.
   * A session that stays with its user (a re-login, a regenerate) moves in
   * one script instead, since a revoke-all could otherwise fall between
   * the old key's death and the new one's birth and miss both.
   */
  override async rotateRecord(oldId: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    const old = await this.#keys.locate(oldId);
    if (old === null) return null;
    const text = this.#text(record);
    const client = await this.#ready(ctx);
    const fresh = await this.#keys.newId(record.meta?.user);
    const index = this.#indexOf(old);
    if (index !== undefined && index === this.#indexOf(fresh))
      return this.#rotateWithinUser(client, index, old, fresh, record.meta?.user, text, record.expiresAt);
    const [wasAlive, wrote] = await Promise.all([this.#destroy(client, old), this.#create(client, fresh, text, record.expiresAt)]);
    if (!wasAlive) {
      if (wrote) await this.#destroy(client, fresh);
      return null;
    }
    return wrote ? fresh.id : this.createRecord(record, ctx);
  }

  /**
   * The user's live sessions, read from their index and then their keys
   * (two round trips, two reads). Members that expired since the last
   * write are still in the index; their keys are gone, so they drop out.
   */
  async listUserSessions(userId: string, ctx?: RequestContext): Promise<UserSessionInfo[]> {
    const tag = await userTag(checkedUserId(userId));
    const client = await this.#ready(ctx);
    const members = await this.#members(client, tag);
    if (members.length === 0) return [];
    const values = await this.#command(client, client.mGet(members.map((member) => this.#keys.keyOfHash(member, tag))));
    const now = Date.now();
    const sessions: UserSessionInfo[] = [];
    for (const [index, member] of members.entries()) {
      const text = asText(values[index]);
      const entry = text === null ? null : textToRecord(text, this.#keys.serializer, now);
      // The record's own user is checked too: two users whose tags collide never see each other's sessions.
      const info = entry && userSessionInfo(userId, await handleFromIdHash(member), entry.record);
      if (info) sessions.push(info);
    }
    return oldestFirst(sessions);
  }

  async revokeUserSession(userId: string, handle: string, ctx?: RequestContext): Promise<void> {
    const tag = await userTag(checkedUserId(userId));
    if (!isSessionHandle(handle)) return;
    const client = await this.#ready(ctx);
    for (const member of await this.#members(client, tag)) {
      if ((await handleFromIdHash(member)) !== handle) continue;
      await this.#destroy(client, { key: this.#keys.keyOfHash(member, tag), idHash: member, tag });
      return;
    }
  }

  /**
   * Ends every session in the user's index but the one named `exceptHandle`,
   * in rounds (redis-user-scripts.ts): each round is atomic, and the last
   * finds no session it was not told about, so a session created or moved
   * while this runs is ended too.
   */
  async revokeUserSessions(userId: string, ctx?: RequestContext, exceptHandle?: string): Promise<void> {
    const tag = await userTag(checkedUserId(userId));
    const client = await this.#ready(ctx);
    const index = this.#indexKey(tag);
    let kept = "";
    let declared: string[] = [];
    for (let round = 0; round < MAX_REVOKE_ROUNDS; round++) {
      const keys = [index, ...declared.map((member) => this.#keys.keyOfHash(member, tag))];
      const left = idHashes(await this.#script(client, REVOKE_BOUND, keys, [kept, ...declared], true));
      declared = [];
      for (const member of left) {
        if (kept === "" && exceptHandle !== undefined && (await handleFromIdHash(member)) === exceptHandle) kept = member;
        else declared.push(member);
      }
      if (declared.length === 0) return;
    }
    throw new SessionStoreUnavailableError(
      `New sessions of this user kept appearing while revoking them (${MAX_REVOKE_ROUNDS} rounds): some may still be live. Retry.`,
    );
  }

  sessionHandle(sessionId: string): Promise<string> {
    return sessionHandleOf(sessionId);
  }

  /** Writes a new session unless its key is taken; a bound one with its index entry. */
  async #create(client: RedisClientLike, where: StorageKey, text: string, expiresAt: number): Promise<boolean> {
    const ttl = ttlUntil(expiresAt);
    if (where.tag === undefined) return isWritten(await this.#write(client, where.key, (redis) => redis.set(where.key, text, { PX: ttl, NX: true })));
    return (
      Number(await this.#script(client, WRITE_BOUND, [where.key, this.#indexKey(where.tag)], [text, String(ttl), "NX", where.idHash], true)) === 1
    );
  }

  /** Rewrites a session only if it still exists; a bound one with its index entry. */
  async #update(client: RedisClientLike, where: StorageKey, text: string, expiresAt: number): Promise<boolean> {
    const ttl = ttlUntil(expiresAt);
    if (where.tag === undefined) return isWritten(await this.#command(client, client.set(where.key, text, { PX: ttl, XX: true })));
    return Number(await this.#script(client, WRITE_BOUND, [where.key, this.#indexKey(where.tag)], [text, String(ttl), "XX", where.idHash])) === 1;
  }

  /** Deletes a session (and its index entry); `true` when it was live, since a key's TTL is its session's deadline. */
  async #destroy(client: RedisClientLike, where: StorageKey): Promise<boolean> {
    if (where.tag === undefined) return Number(await this.#write(client, where.key, (redis) => redis.del(where.key))) > 0;
    return Number(await this.#script(client, DESTROY_BOUND, [where.key, this.#indexKey(where.tag)], [where.idHash], true)) > 0;
  }

  /** A bound session's new ID for the same user: one script, so no revoke-all can fall between the two keys. */
  async #rotateWithinUser(
    client: RedisClientLike,
    index: string,
    old: StorageKey,
    first: StorageKey & { id: string },
    user: string | undefined,
    text: string,
    expiresAt: number,
  ): Promise<string | null> {
    for (let attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
      const fresh = attempt === 0 ? first : await this.#keys.newId(user);
      const args = [text, String(ttlUntil(expiresAt)), old.idHash, fresh.idHash];
      const moved = Number(await this.#script(client, ROTATE_BOUND, [old.key, fresh.key, index], args, true));
      if (moved === 1) return fresh.id;
      if (moved === 0) return null;
    }
    throw idsExhausted(NEW_ID_ATTEMPTS);
  }

  /** Every ID hash in the user's index, expired ones not yet pruned included. */
  async #members(client: RedisClientLike, tag: string): Promise<string[]> {
    try {
      return idHashes(await this.#command(client, client.zRange(this.#indexKey(tag), 0, -1)));
    } catch (error) {
      throw indexError(error, "read the user's index");
    }
  }

  /** The index a session is listed in, if it is bound to a user. */
  #indexOf(where: StorageKey): string | undefined {
    return where.tag === undefined ? undefined : this.#indexKey(where.tag);
  }

  /** Where a user's index lives: beside their sessions, in their hash tag's slot. */
  #indexKey(tag: string): string {
    return `${this.#keys.prefix}{${tag}}:sessions`;
  }

  /**
   * Runs a script by its SHA-1, sending its source once when this server
   * has not cached it. `endsOrCreates`: it creates or ends sessions, so
   * `durability` applies (its keys share one slot: the first routes it).
   */
  async #script(client: RedisClientLike, target: RedisScript, keys: string[], args: string[], endsOrCreates = false): Promise<unknown> {
    const options = { keys, arguments: args };
    const sha1 = await scriptSha1(target);
    try {
      return await this.#write(client, keys[0]!, (redis) => redis.evalSha(sha1, options), endsOrCreates);
    } catch (error) {
      if (!isNoScript(error) && !isNoScript((error as { cause?: unknown }).cause)) throw indexError(error, `script "${target.name}"`);
    }
    try {
      return await this.#write(client, keys[0]!, (redis) => redis.eval(target.source, options), endsOrCreates);
    } catch (error) {
      throw indexError(error, `script "${target.name}"`);
    }
  }

  /**
   * A write, as one command; one that creates or ends a session is, with
   * `durability`, pipelined with its WAIT (redis-durability.ts).
   */
  #write(client: RedisClientLike, key: string, write: (redis: RedisWriteTarget) => unknown, endsOrCreates = true): Promise<unknown> {
    return this.#command(client, writeDurably(client, key, write, endsOrCreates ? this.#durability : undefined));
  }

  #text(record: SessionRecord<Data>): string {
    if (!Number.isFinite(record.expiresAt)) {
      throw new SessionSetupError("RedisSessionStore needs a finite session lifetime.");
    }
    return recordToText(record, this.#keys.serializer);
  }

  /**
   * The client, connected. Never waits on node-redis's offline queue: a
   * client that is reconnecting fails the request at once, and the first
   * connection gets `timeout` ms in all (not per request).
   */
  async #ready(ctx: RequestContext | undefined): Promise<RedisClientLike> {
    // Outside a request (a job revoking a user's sessions) there is no context: getClient gets `undefined`.
    const client = await this.#getClient(ctx as RequestContext);
    assertModernClient(client);
    watchErrors(client);
    if (client.isReady) return client;
    // Also reopens a client that node-redis closed for good (its reconnect strategy gave up).
    if (!client.isOpen && !connecting.has(client)) {
      const promise = client.connect().then(
        () => void connecting.delete(client),
        (error: unknown) => {
          connecting.delete(client);
          lastErrors.set(client, error);
        },
      );
      connecting.set(client, { promise, startedAt: Date.now() });
    }
    const pending = connecting.get(client);
    const remaining = pending ? pending.startedAt + this.#timeout - Date.now() : 0;
    if (pending && remaining > 0) await withTimeout(pending.promise, remaining).catch(() => undefined);
    if (!client.isReady) throw unavailable(client, "is not connected");
    return client;
  }

  async #command<T>(client: RedisClientLike, command: Promise<T>): Promise<T> {
    try {
      return await withTimeout(command, this.#timeout);
    } catch (error) {
      if (error instanceof TimedOut) throw unavailable(client, `did not answer within ${this.#timeout} ms`);
      if (isWrongType(error)) throw error;
      throw new SessionStoreUnavailableError(`Redis failed a session command: ${describe(error)}`, { cause: error });
    }
  }
}

function isWritten(reply: unknown): boolean {
  return reply !== null && reply !== undefined;
}

/** A reply as text: clients set up to map strings to Buffers (typeMapping) return bytes. */
function asText(reply: unknown): string | null {
  if (reply instanceof Uint8Array) return utf8.decode(reply);
  return typeof reply === "string" ? reply : null;
}

/** The members of an index reply; anything not shaped like an ID hash (a hand-edited index) is ignored. */
function idHashes(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map(asText).filter(isIdHash) : [];
}

/** A failed index script as the typed error; a user index key of the wrong type is named, since only deleting it helps. */
function indexError(error: unknown, what: string): unknown {
  if (isWrongType(error)) {
    return new SessionStoreUnavailableError(
      `Redis refused the session ${what}: a key of this user's sessions holds another type (${describe(error)}). ` +
        "Something else wrote under the store's prefix; delete that key.",
      { cause: error },
    );
  }
  return error;
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("WRONGTYPE");
}

function ttlUntil(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt - Date.now()));
}

/**
 * node-redis v3 (callbacks) and other clients fail deep inside a command
 * with "client.connect is not a function" or a wrong reply: name the fix.
 */
function assertModernClient(client: RedisClientLike): void {
  const candidate = client as Partial<RedisClientLike> | null;
  if (candidate && typeof candidate.connect === "function" && typeof candidate.isReady === "boolean" && typeof candidate.isOpen === "boolean") return;
  throw new SessionSetupError(
    "RedisSessionStore needs a node-redis v4 or later client (createClient, createCluster or createSentinel from the `redis` package). " +
      "This one looks like a node-redis v3 callback client or another library's: run `npm install redis@latest` and pass " +
      "`getClient: () => client` with `const client = createClient({ url: process.env.REDIS_URL })` created once.",
  );
}

/** node-redis throws an unhandled 'error' event (and so ends the process) when no one listens: listen. */
function watchErrors(client: RedisClientLike): void {
  if (watched.has(client)) return;
  watched.add(client);
  if (client.listenerCount("error") === 0) client.on("error", (error) => lastErrors.set(client, error));
}

function unavailable(client: RedisClientLike, what: string): SessionStoreUnavailableError {
  const cause = lastErrors.get(client);
  const because = cause === undefined ? "" : ` (last error: ${describe(cause)})`;
  return new SessionStoreUnavailableError(`Redis ${what}${because}. The session is intact; retry later.`, { cause });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

class TimedOut extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
