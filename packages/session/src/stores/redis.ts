/**
 * Sessions in Redis, through a node-redis client (`createClient`), cluster
 * (`createCluster`) or Sentinel client (`createSentinel`), v4 and later.
 * One key per session, its value the record text of record-text.ts, with
 * a TTL set in the same SET: a read-only request costs one GET, a write
 * one SET. A session bound to a user is written by a script that also
 * keeps that user's index (redis-user-scripts.ts): still one command per
 * write. With `durability`, the writes that create or end sessions also
 * wait for replicas, in the same round trip (redis-durability.ts). The
 * client itself, its connection and the deadline of each command are
 * redis-connection.ts's.
 */
import type { RequestContext } from "@hattip/compose";
import { isThenable, settle } from "../awaitable.js";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import type { StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionInfo } from "../types.js";
import { describeFailure } from "./deadline.js";
import type { StorageKey } from "./external-keys.js";
import { ExternalStore, ID_TAKEN, type ExternalStoreOptions } from "./external-store.js";
import { textToRecord } from "./record-text.js";
import { CommandDeadlines, connected, isWrongType, type RedisClientLike } from "./redis-connection.js";
import { checkEvictionPolicy } from "./redis-eviction.js";
import { durabilityOf, writeDurably, type RedisDurability, type RedisDurabilityOptions, type RedisWriteTarget } from "./redis-durability.js";
import {
  DESTROY_BOUND,
  isNoScript,
  READ_BOUND,
  REVOKE_BOUND,
  ROTATE_BOUND,
  scriptSha1,
  WRITE_BOUND,
  type RedisScript,
} from "./redis-user-scripts.js";
import { handleFromIdHash, isIdHash, type IndexedUser } from "./session-id.js";
import { userSessionInfo } from "./user-sessions.js";

export type { RedisClientLike } from "./redis-connection.js";

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
export class RedisSessionStore<Data = SessionData> extends ExternalStore<Data> {
  readonly #getClient: (ctx: RequestContext) => Awaitable<RedisClientLike>;
  readonly #durability: RedisDurability | undefined;
  readonly #deadlines: CommandDeadlines;

  constructor(options: RedisSessionStoreOptions<Data>) {
    super(options, { name: "RedisSessionStore", prefix: "session:", timeout: 2000 });
    if (typeof options?.getClient !== "function") {
      throw new SessionSetupError("RedisSessionStore needs `getClient`, a function that returns a node-redis client.");
    }
    this.#getClient = options.getClient;
    this.#durability = durabilityOf(options.durability, this.timeout);
    this.#deadlines = new CommandDeadlines(this.timeout);
  }

  /**
   * One GET; for a session bound to a user, one script that reads it and
   * serves it only while its user's index still names it (READ_BOUND), in
   * the same round trip.
   */
  protected readEntry(id: string, ctx: RequestContext): Promise<StoredEntry<Data> | null> {
    return this.#atKeyOf(id, ctx, null, (where) => (client) => this.#readFrom(client, where));
  }

  #readFrom(client: RedisClientLike, where: StorageKey): Promise<StoredEntry<Data> | null> {
    const reply =
      where.tag === undefined
        ? this.#command(client, client.get(where.key))
        : this.#script(client, READ_BOUND, [where.key, this.#indexKey(where.tag)], [where.idHash]);
    return reply.then(
      (text) => {
        // A client set up to map strings to Buffers (typeMapping) returns bytes.
        const value = text instanceof Uint8Array ? utf8.decode(text) : text;
        return typeof value === "string" ? textToRecord(value, this.keys.serializer, Date.now()) : null;
      },
      (error: unknown) => {
        // A key of another type (the session's or its index's) is as good as a corrupted value: start afresh.
        if (isWrongType(error) || isWrongType((error as { cause?: unknown } | null)?.cause)) return null;
        throw error;
      },
    );
  }

  /** A new ID, written with `SET ... NX` (or its script, for a bound session), which can never overwrite another session. */
  async createRecord(record: SessionRecord<Data>, ctx: RequestContext): Promise<string> {
    const text = this.recordText(record);
    const client = await this.#ready(ctx);
    return this.withNewId(record.meta?.user, async (fresh) => ((await this.#create(client, fresh, text, record.expiresAt)) ? fresh.id : ID_TAKEN));
  }

  /**
   * `SET ... XX` (for a bound session, its script, which checks the same
   * way): only a session that still exists is updated. If it was
   * destroyed meanwhile (a logout in another tab, or a revoke from another
   * device), nothing is written and the logout stands.
   */
  updateRecord(id: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    return this.#atKeyOf(id, ctx, null, (where) => {
      // Taken before the client is waited for: the record as it stands at this call.
      const text = this.recordText(record);
      return (client) => this.#update(client, where, text, record.expiresAt).then((written) => (written ? id : null));
    });
  }

  destroyRecord(id: string, ctx: RequestContext): Promise<boolean> {
    return this.#atKeyOf(id, ctx, false, (where) => (client) => this.#destroy(client, where));
  }

  /**
   * `use`'s command for where `id` lives, sent on the ready client; `missing`
   * when `id` is not one this store could have issued. Chained, not awaited:
   * a read or a write is on every request, and each await would cost it a
   * promise and a tick. A failure is a rejected promise, as from an async
   * method, never a throw.
   */
  #atKeyOf<T>(
    id: string,
    ctx: RequestContext | undefined,
    missing: T,
    use: (where: StorageKey) => (client: RedisClientLike) => Promise<T>,
  ): Promise<T> {
    try {
      return Promise.resolve(settle(this.keys.locate(id), (where) => (where === null ? missing : settle(this.#ready(ctx), use(where)))));
    } catch (error) {
      return Promise.reject(error);
    }
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
    const old = await this.keys.locate(oldId);
    if (old === null) return null;
    const text = this.recordText(record);
    const client = await this.#ready(ctx);
    const index = this.#indexOf(old);
    return this.withNewId(record.meta?.user, async (fresh) => {
      if (index !== undefined && index === this.#indexOf(fresh)) {
        // The session stays with its user: one script, so no revoke-all can fall between the two keys.
        const args = [text, String(ttlUntil(record.expiresAt)), old.idHash, fresh.idHash];
        const moved = Number(await this.#script(client, ROTATE_BOUND, [old.key, fresh.key, index], args, true));
        return moved === 1 ? fresh.id : moved === 0 ? null : ID_TAKEN;
      }
      const [wasAlive, wrote] = await Promise.all([this.#destroy(client, old), this.#create(client, fresh, text, record.expiresAt)]);
      if (!wasAlive) {
        if (wrote) await this.#destroy(client, fresh);
        return null;
      }
      // The old session is gone already: a taken ID cannot be retried here, only a plain create can follow.
      return wrote ? fresh.id : this.createRecord(record, ctx);
    });
  }

  /**
   * The user's live sessions with the latest deadlines, read from their
   * index (scored by deadline) and then their keys: two round trips, two
   * reads. Members that expired since the last write are still in the
   * index; their keys are gone, so they drop out.
   */
  protected async listSessionsOf(user: IndexedUser, limit: number, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const client = await this.#ready(ctx);
    const members = await this.#members(client, user.tag, limit);
    if (members.length === 0) return [];
    const values = await this.#command(client, client.mGet(members.map((member) => this.keys.keyOfHash(member, user.tag))));
    const now = Date.now();
    const sessions: UserSessionInfo[] = [];
    for (const [index, member] of members.entries()) {
      const text = asText(values[index]);
      const entry = text === null ? null : textToRecord(text, this.keys.serializer, now);
      // The record's own user is checked too: two users whose tags collide never see each other's sessions.
      const info = entry && userSessionInfo(user.id, await handleFromIdHash(member), entry.record);
      if (info) sessions.push(info);
    }
    return sessions;
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string, ctx: RequestContext | undefined): Promise<void> {
    const client = await this.#ready(ctx);
    for (const member of await this.#members(client, user.tag)) {
      if ((await handleFromIdHash(member)) !== handle) continue;
      await this.#destroy(client, { key: this.keys.keyOfHash(member, user.tag), idHash: member, tag: user.tag });
      return;
    }
  }

  /**
   * Ends every session in the user's index but the one named `exceptHandle`,
   * in rounds (redis-user-scripts.ts): each round is atomic, and the last
   * finds no session it was not told about, so a session created or moved
   * while this runs is ended too.
   */
  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void> {
    const { tag } = user;
    const client = await this.#ready(ctx);
    const index = this.#indexKey(tag);
    let kept = "";
    let declared: string[] = [];
    for (let round = 0; round < MAX_REVOKE_ROUNDS; round++) {
      const keys = [index, ...declared.map((member) => this.keys.keyOfHash(member, tag))];
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

  /** Writes a new session unless its key is taken; a bound one with its index entry. */
  async #create(client: RedisClientLike, where: StorageKey, text: string, expiresAt: number): Promise<boolean> {
    const ttl = ttlUntil(expiresAt);
    if (where.tag === undefined) return isWritten(await this.#write(client, where.key, (redis) => redis.set(where.key, text, { PX: ttl, NX: true })));
    return (
      Number(await this.#script(client, WRITE_BOUND, [where.key, this.#indexKey(where.tag)], [text, String(ttl), "NX", where.idHash], true)) === 1
    );
  }

  /** Updates a session only if it still exists; a bound one with its index entry. */
  #update(client: RedisClientLike, where: StorageKey, text: string, expiresAt: number): Promise<boolean> {
    const ttl = ttlUntil(expiresAt);
    if (where.tag === undefined) return this.#command(client, client.set(where.key, text, { PX: ttl, XX: true })).then(isWritten);
    return this.#script(client, WRITE_BOUND, [where.key, this.#indexKey(where.tag)], [text, String(ttl), "XX", where.idHash]).then(
      (reply) => Number(reply) === 1,
    );
  }

  /** Deletes a session (and its index entry); `true` when it was live, since a key's TTL is its session's deadline. */
  async #destroy(client: RedisClientLike, where: StorageKey): Promise<boolean> {
    if (where.tag === undefined) return Number(await this.#write(client, where.key, (redis) => redis.del(where.key))) > 0;
    return Number(await this.#script(client, DESTROY_BOUND, [where.key, this.#indexKey(where.tag)], [where.idHash], true)) > 0;
  }

  /**
   * The ID hashes in the user's index, expired ones not yet pruned
   * included: all of them, or the `latest` with the latest deadlines (the
   * index is scored by deadline).
   */
  async #members(client: RedisClientLike, tag: string, latest?: number): Promise<string[]> {
    try {
      return idHashes(await this.#command(client, client.zRange(this.#indexKey(tag), latest === undefined ? 0 : -latest, -1)));
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
    return `${this.keys.prefix}{${tag}}:sessions`;
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

  /** The client, connected (redis-connection.ts): at once, with no tick, when it is ready. */
  #ready(ctx: RequestContext | undefined): Awaitable<RedisClientLike> {
    // Outside a request (a job revoking a user's sessions) there is no context: getClient gets `undefined`.
    const client = this.#getClient(ctx as RequestContext);
    return isThenable(client) ? client.then((given) => this.#connected(given)) : this.#connected(client);
  }

  /** `client` connected, as the view the store's commands go through; its eviction policy read once, beside the first request. */
  #connected(client: RedisClientLike): Awaitable<RedisClientLike> {
    const ready = connected(client, this.timeout);
    if (isThenable(ready)) {
      return ready.then((view) => {
        checkEvictionPolicy(view, this.timeout);
        return view;
      });
    }
    checkEvictionPolicy(ready, this.timeout);
    return ready;
  }

  #command<T>(client: RedisClientLike, command: Promise<T>): Promise<T> {
    return this.#deadlines.reply(client, command);
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
      `Redis refused the session ${what}: a key of this user's sessions holds another type (${describeFailure(error)}). ` +
        "Something else wrote under the store's prefix; delete that key.",
      { cause: error },
    );
  }
  return error;
}

function ttlUntil(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt - Date.now()));
}
