/**
 * Sessions in a `Map` of this process: for development and tests only.
 * Everything is lost on restart, and on edge and serverless runtimes with
 * every new isolate. Data and metadata are stored as text, so a handler that
 * keeps a reference to `ctx.session.data` cannot change a stored session. Each
 * check-and-write runs without an `await` inside it, so concurrent
 * requests of this process see every operation as atomic.
 */
import type { RequestContext } from "@hattip/compose";
import { RecordStore, type StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, SessionSerializationOptions, UserSessionIndex, UserSessionInfo } from "../types.js";
import { metaToText, textToMeta } from "./record-text.js";
import { createSerializer, type Serializer } from "./serialization.js";
import { checkedUserId, generateSessionId, idsExhausted, sessionHandleOf } from "./session-id.js";

export interface UnsafeMemoryStoreOptions<Data = SessionData> {
  /**
   * Makes a new session ID.
   * @default 256 random bits as base64url
   */
  generateId?: () => Awaitable<string>;
  /**
   * How session data becomes text and back. The store keeps text, not the
   * objects, so a handler's later changes never leak into the stored copy.
   * @default JSON, with `__proto__`, `constructor` and `prototype` keys dropped on read
   */
  serializationOptions?: SessionSerializationOptions<Data>;
  /**
   * Expired sessions are swept out at most this often, in milliseconds.
   * @default 60000
   */
  sweepInterval?: number;
}

interface Entry {
  /** The data as the serializer wrote it. */
  dataText: string;
  /** The metadata as record-text writes it, "" when there is none. */
  metaText: string;
  createdAt: number;
  expiresAt: number;
  /** The bound user and the session's handle in their list. */
  user?: { id: string; handle: string };
}

const NEW_ID_ATTEMPTS = 3;

/**
 * @example
 * ```ts
 * session({ store: new UnsafeMemoryStore() }) // development only
 * ```
 */
export class UnsafeMemoryStore<Data = SessionData> extends RecordStore<Data> implements UserSessionIndex {
  readonly #entries = new Map<string, Entry>();
  /** Session IDs by bound user: the per-user index. */
  readonly #byUser = new Map<string, Set<string>>();
  readonly #generateId: () => Awaitable<string>;
  readonly #serializer: Serializer<Data>;
  readonly #sweepInterval: number;
  #lastSweep = Date.now();

  constructor(options: UnsafeMemoryStoreOptions<Data> | (() => Awaitable<string>) = {}) {
    super();
    const resolved = typeof options === "function" ? { generateId: options } : options;
    this.#generateId = resolved.generateId ?? generateSessionId;
    this.#serializer = createSerializer(resolved.serializationOptions);
    this.#sweepInterval = resolved.sweepInterval ?? 60_000;
  }

  /** Sessions held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  loadEntry(id: string): StoredEntry<NoInfer<Data>> | null {
    const entry = this.#live(id);
    return entry ? this.#toStored(entry) : null;
  }

  async createRecord(record: SessionRecord<Data>): Promise<string> {
    this.#sweepIfDue();
    for (let attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
      const id = String(await this.#generateId());
      const entry = await this.#entryOf(id, record);
      // Checked after the awaits: another request may have taken the ID meanwhile.
      if (this.#entries.has(id)) continue;
      this.#put(id, entry);
      return id;
    }
    throw idsExhausted(NEW_ID_ATTEMPTS);
  }

  async updateRecord(id: string, record: SessionRecord<Data>): Promise<string | null> {
    const entry = await this.#entryOf(id, record);
    // Only a session that is still alive is rewritten: a logout meanwhile stands.
    if (!this.#live(id)) return null;
    this.#put(id, entry);
    return id;
  }

  destroyRecord(id: string): boolean {
    const alive = this.#live(id) !== undefined;
    this.#remove(id);
    return alive;
  }

  override async rotateRecord(oldId: string, record: SessionRecord<Data>): Promise<string | null> {
    this.#sweepIfDue();
    for (let attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
      const id = String(await this.#generateId());
      const entry = await this.#entryOf(id, record);
      if (this.#entries.has(id)) continue;
      // Destroy and create with no await between: no revoke can fall in between and miss both.
      if (!this.#live(oldId)) return null;
      this.#remove(oldId);
      this.#put(id, entry);
      return id;
    }
    throw idsExhausted(NEW_ID_ATTEMPTS);
  }

  async listUserSessions(userId: string): Promise<UserSessionInfo[]> {
    const sessions: UserSessionInfo[] = [];
    for (const id of this.#byUser.get(checkedUserId(userId)) ?? []) {
      const entry = this.#live(id);
      const loaded = entry && this.#toStored(entry);
      if (!loaded || !entry.user) continue;
      const { createdAt, expiresAt, meta } = loaded.record;
      sessions.push({
        handle: entry.user.handle,
        createdAt,
        lastSeenAt: meta?.seenAt ?? createdAt,
        expiresAt,
        device: meta?.agent ?? "Unknown device",
        current: false,
      });
    }
    return sessions.sort((a, b) => a.createdAt - b.createdAt);
  }

  async revokeUserSession(userId: string, handle: string): Promise<void> {
    for (const id of this.#byUser.get(checkedUserId(userId)) ?? []) {
      if (this.#entries.get(id)?.user?.handle === handle) this.#remove(id);
    }
  }

  async revokeUserSessions(userId: string, _ctx?: RequestContext, exceptHandle?: string): Promise<void> {
    for (const id of [...(this.#byUser.get(checkedUserId(userId)) ?? [])]) {
      if (exceptHandle === undefined || this.#entries.get(id)?.user?.handle !== exceptHandle) this.#remove(id);
    }
  }

  sessionHandle(sessionId: string): Promise<string> {
    return sessionHandleOf(sessionId);
  }

  /** A fresh copy of what `entry` holds, or `null` when its data no longer parses. */
  #toStored(entry: Entry): StoredEntry<Data> | null {
    const data = this.#serializer.parse(entry.dataText);
    if (data === null) return null;
    const meta = entry.metaText === "" ? undefined : (textToMeta(entry.metaText) ?? undefined);
    const record: SessionRecord<Data> = { data, createdAt: entry.createdAt, expiresAt: entry.expiresAt };
    if (meta) record.meta = meta;
    return this.#serializer.isJson ? { record, dataJson: entry.dataText } : { record };
  }

  /** Everything an entry needs, computed before the synchronous check-and-write. */
  async #entryOf(id: string, record: SessionRecord<Data>): Promise<Entry> {
    const entry: Entry = {
      dataText: this.#serializer.stringify(record.data),
      metaText: metaToText(record.meta),
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
    };
    const user = record.meta?.user;
    if (user !== undefined) {
      const known = this.#entries.get(id)?.user;
      entry.user = { id: user, handle: known?.id === user ? known.handle : await sessionHandleOf(id) };
    }
    return entry;
  }

  #live(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.#remove(id);
    return undefined;
  }

  #put(id: string, entry: Entry): void {
    const previous = this.#entries.get(id)?.user;
    if (previous && previous.id !== entry.user?.id) this.#unindex(previous.id, id);
    this.#entries.set(id, entry);
    if (entry.user) {
      let ids = this.#byUser.get(entry.user.id);
      if (!ids) this.#byUser.set(entry.user.id, (ids = new Set()));
      ids.add(id);
    }
  }

  #remove(id: string): void {
    const user = this.#entries.get(id)?.user;
    this.#entries.delete(id);
    if (user) this.#unindex(user.id, id);
  }

  #unindex(userId: string, id: string): void {
    const ids = this.#byUser.get(userId);
    ids?.delete(id);
    if (ids?.size === 0) this.#byUser.delete(userId);
  }

  #sweepIfDue(): void {
    const now = Date.now();
    if (now - this.#lastSweep < this.#sweepInterval) return;
    this.#lastSweep = now;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#remove(id);
    }
  }
}

/** The name `@hattip/session` uses for `UnsafeMemoryStore`. */
export { UnsafeMemoryStore as UnsafeMemorySessionStore };
