/**
 * Sessions in Redis, through a node-redis client (`createClient`), cluster
 * (`createCluster`) or Sentinel client (`createSentinel`), v4 and later.
 * One key per session, the value `1|createdAt|expiresAt|<data>` with a TTL
 * set in the same SET: a read-only request costs one GET, a write one SET.
 * With `durability`, logins and logouts also wait for replicas
 * (redis-durability.ts).
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import { RecordStore, type StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord } from "../types.js";
import { externalKeys, type ExternalKeys, type ExternalStoreOptions } from "./external-keys.js";
import { durabilityOf, writeDurably, type RedisDurability, type RedisDurabilityOptions, type RedisMultiCapable } from "./redis-durability.js";
import { recordToText, textToRecord } from "./record-text.js";
import { idsExhausted } from "./session-id.js";

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
   * milliseconds. Defaults to 2000.
   */
  timeout?: number;
  /**
   * Makes the writes that create or end a session (login, regenerate,
   * logout, a new session) wait until `replicas` replicas have them
   * (Redis `WAIT`, in the same round trip as the write). When they do not
   * confirm within `durability.timeout`, the request fails with
   * `SessionStoreUnavailableError` (answer 503): a login is not handed
   * out and a logout is not acknowledged, though its cookie is still
   * cleared, since a failover could undo either. Off by default: without
   * it, a failover can lose the last writes before it (see RELIABILITY.md).
   *
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
const utf8 = new TextDecoder();

export class RedisSessionStore<Data = SessionData> extends RecordStore<Data> {
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

  /** A new ID, written with `SET ... NX`, which can never overwrite another session. */
  async createRecord(record: SessionRecord<Data>, ctx: RequestContext): Promise<string> {
    const text = this.#text(record);
    const client = await this.#ready(ctx);
    for (let attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
      const fresh = await this.#keys.newId();
      const reply = await this.#write(client, fresh.key, (redis) => redis.set(fresh.key, text, { PX: ttlUntil(record.expiresAt), NX: true }));
      if (reply !== null && reply !== undefined) return fresh.id;
    }
    throw idsExhausted(NEW_ID_ATTEMPTS);
  }

  /**
   * `SET ... XX`: only a session that still exists is replaced. If it was
   * destroyed meanwhile (a logout in another tab, say), nothing is written
   * and the logout stands.
   */
  async updateRecord(id: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    const key = await this.#keys.keyOf(id);
    if (key === null) return null;
    const text = this.#text(record);
    const client = await this.#ready(ctx);
    const reply = await this.#command(client, client.set(key, text, { PX: ttlUntil(record.expiresAt), XX: true }));
    return reply === null || reply === undefined ? null : id;
  }

  async destroyRecord(id: string, ctx: RequestContext): Promise<boolean> {
    const key = await this.#keys.keyOf(id);
    if (key === null) return false;
    const client = await this.#ready(ctx);
    // The key's TTL is the session's deadline, so a key that was there was a live session.
    return Number(await this.#write(client, key, (redis) => redis.del(key))) > 0;
  }

  /**
   * The old key's `DEL` and the new key's `SET ... NX` go out together (one
   * round trip, also when a Cluster keeps them on different nodes). If the
   * `DEL` found nothing, the session was ended meanwhile: the new key, whose
   * ID nobody has seen yet, is deleted again and the regenerate refused.
   */
  override async replaceRecord(oldId: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    const oldKey = await this.#keys.keyOf(oldId);
    if (oldKey === null) return null;
    const text = this.#text(record);
    const client = await this.#ready(ctx);
    const fresh = await this.#keys.newId();
    const [deleted, written] = await Promise.all([
      this.#write(client, oldKey, (redis) => redis.del(oldKey)),
      this.#write(client, fresh.key, (redis) => redis.set(fresh.key, text, { PX: ttlUntil(record.expiresAt), NX: true })),
    ]);
    const wasAlive = Number(deleted) > 0;
    const wrote = written !== null && written !== undefined;
    if (!wasAlive) {
      if (wrote) await this.#command(client, client.del(fresh.key));
      return null;
    }
    return wrote ? fresh.id : this.createRecord(record, ctx);
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
  async #ready(ctx: RequestContext): Promise<RedisClientLike> {
    const client = await this.#getClient(ctx);
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

  /** A write that creates or ends a session: with `durability`, confirmed by replicas (redis-durability.ts). */
  #write(client: RedisClientLike, key: string, write: Parameters<typeof writeDurably>[2]): Promise<unknown> {
    return this.#command(client, writeDurably(client, key, write, this.#durability));
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
