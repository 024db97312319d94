/**
 * Sessions in Cloudflare Workers KV. One key per session (a hash of its
 * ID), the value `1|createdAt|expiresAt|<data>`.
 *
 * KV expires keys no sooner than 60 s after a write, so the deadline inside
 * the value is what ends a shorter session on time; the KV TTL only clears
 * the key away afterwards. KV is eventually consistent: a write is seen at
 * once where it was made and elsewhere within about a minute. destroy()
 * therefore writes a tombstone rather than deleting, so that a later save
 * at that location knows the session was ended (and will not revive it);
 * the docs spell out what stays open.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import { RecordStore, type StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord } from "../types.js";
import { externalKeys, type ExternalKeys, type ExternalStoreOptions } from "./external-keys.js";
import { recordToText, textToRecord } from "./record-text.js";

/** The part of a Workers `KVNamespace` binding the store uses. */
export interface KvNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

export interface KvSessionStoreOptions<Data = SessionData> extends ExternalStoreOptions<Data> {
  /** The namespace for this request, e.g. `(ctx) => ctx.platform.env.SESSIONS`. */
  getStore: (ctx: RequestContext) => Awaitable<KvNamespaceLike>;
}

/** KV refuses an `expirationTtl` below 60 seconds. */
export const KV_MIN_TTL_SECONDS = 60;
/** Not a record (records start with "1|"), so every loader reads it as "no session". */
const TOMBSTONE = "0|destroyed";

export class KvSessionStore<Data = SessionData> extends RecordStore<Data> {
  readonly #getStore: (ctx: RequestContext) => Awaitable<KvNamespaceLike>;
  readonly #keys: ExternalKeys<Data>;

  constructor(options: KvSessionStoreOptions<Data>) {
    super();
    if (typeof options?.getStore !== "function") {
      throw new SessionSetupError("KvSessionStore needs `getStore`, a function that returns a KV namespace (ctx.platform.env.SESSIONS).");
    }
    this.#getStore = options.getStore;
    this.#keys = externalKeys(options, "KvSessionStore");
  }

  async loadEntry(id: string, ctx: RequestContext): Promise<StoredEntry<Data> | null> {
    const key = await this.#keys.keyOf(id);
    if (key === null) return null;
    const text = await this.#read(ctx, key);
    return text === null ? null : textToRecord(text, this.#keys.serializer, Date.now());
  }

  async createRecord(record: SessionRecord<Data>, ctx: RequestContext): Promise<string> {
    const text = this.#text(record);
    const fresh = await this.#keys.newId();
    await this.#write(ctx, fresh.key, text, record.expiresAt);
    return fresh.id;
  }

  /**
   * The record is only rewritten if it is still alive here: if it was
   * destroyed or expired meanwhile, nothing is written, so that a slow
   * request cannot undo a logout. KV has no conditional write, so this
   * costs one read, and a destroy landing between that read and the write
   * can still be overwritten (docs/external-stores.md).
   */
  async updateRecord(id: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    const key = await this.#keys.keyOf(id);
    if (key === null) return null;
    const text = this.#text(record);
    if (!(await this.#isAlive(ctx, key))) return null;
    await this.#write(ctx, key, text, record.expiresAt);
    return id;
  }

  /**
   * Overwrites the session with a tombstone that KV clears after a minute.
   * Read first, to tell whether a live session was there.
   */
  async destroyRecord(id: string, ctx: RequestContext): Promise<boolean> {
    const key = await this.#keys.keyOf(id);
    if (key === null) return false;
    const wasAlive = await this.#isAlive(ctx, key);
    const store = await this.#getStore(ctx);
    await kvCall("write", () => store.put(key, TOMBSTONE, { expirationTtl: KV_MIN_TTL_SECONDS }));
    return wasAlive;
  }

  async #isAlive(ctx: RequestContext, key: string): Promise<boolean> {
    const current = await this.#read(ctx, key);
    return current !== null && textToRecord(current, this.#keys.serializer, Date.now()) !== null;
  }

  #text(record: SessionRecord<Data>): string {
    if (!Number.isFinite(record.expiresAt)) {
      throw new SessionSetupError("KvSessionStore needs a finite session lifetime.");
    }
    return recordToText(record, this.#keys.serializer);
  }

  async #read(ctx: RequestContext, key: string): Promise<string | null> {
    const store = await this.#getStore(ctx);
    const value = await kvCall("read", () => store.get(key));
    return typeof value === "string" ? value : null;
  }

  async #write(ctx: RequestContext, key: string, text: string, expiresAt: number): Promise<void> {
    const store = await this.#getStore(ctx);
    const expirationTtl = Math.max(KV_MIN_TTL_SECONDS, Math.ceil((expiresAt - Date.now()) / 1000));
    await kvCall("write", () => store.put(key, text, { expirationTtl }));
  }
}

async function kvCall<T>(what: "read" | "write", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = what === "write" ? " KV allows about one write per second to a key." : "";
    throw new SessionStoreUnavailableError(`Workers KV failed a session ${what}: ${reason}.${hint} Retry later.`, {
      cause: error,
    });
  }
}
