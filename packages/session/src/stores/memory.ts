/**
 * Sessions in a `Map` of this process: for development and tests only.
 * Everything is lost on restart, and on edge and serverless runtimes with
 * every new isolate. The store keeps no object a handler holds, and every
 * load hands out a copy of its own, so a handler that keeps a reference to
 * `ctx.session.data` cannot change a stored session, nor can two requests
 * share one object. A write keeps the data as text, or, with the default
 * JSON serializer and data that is plain JSON, as a copy made in the same
 * step, which is never handed out: each load copies it (a third of the
 * cost of parsing text), and its text is made only if asked for. Data that
 * JSON would write otherwise than as it is (a Date, say) is kept as text,
 * parsed on a load, and the parse kept from the second. Each
 * check-and-write runs without an `await` inside it, so concurrent
 * requests of this process see every operation as atomic.
 */
import type { RequestContext } from "@hattip/compose";
import { settle } from "../awaitable.js";
import type { StoredEntry } from "../record-store.js";
import type { TelemetryOptions } from "../telemetry.js";
import type { Awaitable, SessionData, SessionRecord, SessionScope, SessionSerializationOptions, UserSessionInfo } from "../types.js";
import { ExternalStore, ID_TAKEN } from "./external-store.js";
import { dataText, metaToText, textToMeta } from "./record-text.js";
import { copyJsonValue, isPlainObject, plainJsonCopy } from "./serialization.js";
import { sessionHandleOf, type IndexedUser } from "./session-id.js";

export interface UnsafeMemoryStoreOptions<Data = SessionData> extends TelemetryOptions {
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

interface Entry<Data> {
  /**
   * The data as the serializer wrote it. Left unmade while `parsed` holds
   * a copy kept by the write, whose JSON is this text (`#textOf`).
   */
  dataText?: string;
  /**
   * The data as its JSON text parses (JSON serializer only): never handed
   * out, only copied. Kept by the write when the data is plain JSON, else
   * from the second load after it. `null` when the text does not parse.
   */
  parsed?: Data | null;
  /** A load has parsed this entry's text since it was written. */
  readSinceWrite?: boolean;
  /** The metadata as record-text writes it, "" when there is none. */
  metaText: string;
  createdAt: number;
  expiresAt: number;
  /** The bound user and the session's handle in their list. */
  user?: { id: string; handle: string };
}

/**
 * @example
 * ```ts
 * session({ store: new UnsafeMemoryStore() }) // development only
 * ```
 */
export class UnsafeMemoryStore<Data = SessionData> extends ExternalStore<Data> {
  readonly #entries = new Map<string, Entry<Data>>();
  /** Session IDs by bound user: the per-user index. */
  readonly #byUser = new Map<string, Set<string>>();
  readonly #sweepInterval: number;
  #lastSweep = Date.now();

  constructor(options: UnsafeMemoryStoreOptions<Data> | (() => Awaitable<string>) = {}) {
    const resolved = typeof options === "function" ? { generateId: options } : options;
    // Any ID is looked up as it is, in a Map: there is no shape to check, so no validateId.
    super(resolved, { name: "UnsafeMemoryStore", validatesIds: false, tagsUsers: false });
    this.#sweepInterval = resolved?.sweepInterval ?? 60_000;
  }

  /** Sessions held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  protected readEntry(id: string): StoredEntry<Data> | null {
    const entry = this.#live(id);
    return entry ? this.#toStored(entry) : null;
  }

  createRecord(record: SessionRecord<Data>, _ctx?: RequestContext, _scope?: SessionScope, dataJson?: string): Promise<string> {
    this.#sweepIfDue();
    // Taken now: the handler may still change its object while a new ID is made.
    const snapshot = this.#snapshotOf(record, dataJson);
    return this.withFreshId(this.keys.generate, async (id) => {
      const entry = await this.#withUser(id, record, snapshot);
      // Checked after the awaits: another request may have taken the ID meanwhile.
      if (this.#entries.has(id)) return ID_TAKEN;
      this.#put(id, entry);
      return id;
    });
  }

  updateRecord(id: string, record: SessionRecord<Data>, _ctx?: RequestContext, _scope?: SessionScope, dataJson?: string): Awaitable<string | null> {
    return settle(this.#withUser(id, record, this.#snapshotOf(record, dataJson)), (entry) => {
      // Only a session that is still alive is updated: a logout meanwhile stands.
      if (!this.#live(id)) return null;
      this.#put(id, entry);
      return id;
    });
  }

  destroyRecord(id: string): boolean {
    const alive = this.#live(id) !== undefined;
    this.#remove(id);
    return alive;
  }

  override rotateRecord(oldId: string, record: SessionRecord<Data>): Promise<string | null> {
    this.#sweepIfDue();
    const snapshot = this.#snapshotOf(record);
    return this.withFreshId(this.keys.generate, async (id) => {
      const entry = await this.#withUser(id, record, snapshot);
      if (this.#entries.has(id)) return ID_TAKEN;
      // Destroy and create with no await between: no revoke can fall in between and miss both.
      if (!this.#live(oldId)) return null;
      this.#remove(oldId);
      this.#put(id, entry);
      return id;
    });
  }

  protected async listSessionsOf(user: IndexedUser, limit: number): Promise<UserSessionInfo[]> {
    const live: Entry<Data>[] = [];
    for (const id of this.#byUser.get(user.id) ?? []) {
      const entry = this.#live(id);
      if (entry) live.push(entry);
    }
    const sessions: UserSessionInfo[] = [];
    // Only the latest deadlines are read back: a user with thousands of sessions costs a sort, not thousands of parses.
    for (const entry of live.sort((a, b) => b.expiresAt - a.expiresAt).slice(0, limit)) {
      const loaded = this.#toStored(entry);
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
    return sessions;
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string): Promise<void> {
    for (const id of this.#byUser.get(user.id) ?? []) {
      if (this.#entries.get(id)?.user?.handle === handle) this.#remove(id);
    }
  }

  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined): Promise<void> {
    for (const id of [...(this.#byUser.get(user.id) ?? [])]) {
      if (exceptHandle === undefined || this.#entries.get(id)?.user?.handle !== exceptHandle) this.#remove(id);
    }
  }

  /** A fresh copy of what `entry` holds, or `null` when its data no longer parses. */
  #toStored(entry: Entry<Data>): StoredEntry<Data> | null {
    const data = this.#copyOfData(entry);
    if (data === null) return null;
    const meta = entry.metaText === "" ? undefined : (textToMeta(entry.metaText) ?? undefined);
    const record: SessionRecord<Data> = { data, createdAt: entry.createdAt, expiresAt: entry.expiresAt };
    if (meta) record.meta = meta;
    if (!this.keys.serializer.isJson) return { record };
    // The kept parse, when the data handed out is a copy of it: nothing changes it while it is kept, and the
    // middleware makes the JSON from it only if it needs the JSON.
    if (entry.parsed && entry.parsed !== data) {
      return entry.dataText === undefined
        ? { record, unchangedData: entry.parsed }
        : { record, dataJson: entry.dataText, unchangedData: entry.parsed };
    }
    return { record, dataJson: this.#textOf(entry) };
  }

  /** The entry's data text, made from the kept copy the first time it is asked for. */
  #textOf(entry: Entry<Data>): string {
    return (entry.dataText ??= JSON.stringify(entry.parsed));
  }

  /**
   * A copy of the entry's data that no other load holds. The first load
   * after a write parses the text and hands that out (a session written on
   * every request costs one parse, as before); a second load keeps what it
   * parsed and hands out a copy, and later loads only copy it. JSON
   * serializer only: another serializer's values may not be plain JSON.
   */
  #copyOfData(entry: Entry<Data>): Data | null {
    const { serializer } = this.keys;
    if (!serializer.isJson) return serializer.parse(this.#textOf(entry));
    if (entry.parsed === undefined) {
      const data = serializer.parse(this.#textOf(entry));
      if (data === null) entry.parsed = null;
      else if (entry.readSinceWrite) entry.parsed = copiedOrUndefined(data);
      entry.readSinceWrite = true;
      return data;
    }
    return entry.parsed === null ? null : (copiedOrUndefined(entry.parsed) ?? serializer.parse(this.#textOf(entry)));
  }

  /**
   * What an entry keeps of `record`, taken in one synchronous run: for
   * plain JSON data a copy, whose JSON is the text, made later if ever
   * needed; for any other data its text. `dataJson` is the data's JSON as
   * of this call (RecordStore), kept when given.
   */
  #snapshotOf(record: SessionRecord<Data>, dataJson?: string): Entry<Data> {
    const { serializer } = this.keys;
    const entry: Entry<Data> = { metaText: metaToText(record.meta), createdAt: record.createdAt, expiresAt: record.expiresAt };
    // Only where parsing the text would give a session (a plain object) at all.
    const parsed = serializer.isJson && isPlainObject(record.data) ? plainJsonCopy(record.data) : undefined;
    if (parsed !== undefined) entry.parsed = parsed;
    if (parsed === undefined || dataJson !== undefined) entry.dataText = dataText(record, serializer, dataJson);
    return entry;
  }

  /** The entry with its bound user, ready for the synchronous check-and-write; at once unless a new handle must be hashed. */
  #withUser(id: string, record: SessionRecord<Data>, entry: Entry<Data>): Awaitable<Entry<Data>> {
    const user = record.meta?.user;
    if (user === undefined) return entry;
    const known = this.#entries.get(id)?.user;
    if (known?.id === user) {
      entry.user = known;
      return entry;
    }
    return sessionHandleOf(id).then((handle) => {
      entry.user = { id: user, handle };
      return entry;
    });
  }

  #live(id: string): Entry<Data> | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.#remove(id);
    return undefined;
  }

  #put(id: string, entry: Entry<Data>): void {
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

/** A copy of parsed data, or `undefined` when it is nested deeper than a recursive copy can go (parse its text instead). */
function copiedOrUndefined<Data>(data: Data): Data | undefined {
  try {
    return copyJsonValue(data);
  } catch {
    return undefined;
  }
}

/** The name `@hattip/session` uses for `UnsafeMemoryStore`. */
export { UnsafeMemoryStore as UnsafeMemorySessionStore };
