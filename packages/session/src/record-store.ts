/**
 * The base of every bundled store. A store says how to load, create,
 * update and destroy a record, each answer exact: `updateRecord` tells
 * whether the session was still there to update, `destroyRecord` whether
 * there was one to destroy. The middleware builds "a logout always wins"
 * and "regenerate never resurrects" on those answers. The plain methods of
 * the @hattip/session contract (`load`, `save`, `destroy`) and the record
 * methods (`loadRecord`, `saveRecord`) are derived here.
 */
import type { RequestContext } from "@hattip/compose";
import type { Awaitable, SessionData, SessionRecord, SessionScope, SessionStore } from "./types.js";

/** A record as loaded, with the data's text when it is what JSON.stringify writes (for change detection). */
export interface StoredEntry<Data> {
  record: SessionRecord<Data>;
  dataJson?: string;
  /**
   * The data as loaded, in an object nothing hands out or changes (the
   * memory store keeps one): the default change detection compares the
   * handler's data with it instead of stringifying the data again. With
   * it, `dataJson` may be left out: the middleware makes the JSON from this
   * object if a comparison cannot tell.
   */
  unchangedData?: Data;
}

/**
 * Extend it to write a store of your own: four methods, each exact, and the
 * middleware's guarantees (logout wins, regenerate never resurrects) hold
 * for your store too.
 *
 * @example
 * ```ts
 * class MapStore extends RecordStore {
 *   #texts = new Map<string, string>();
 *   loadEntry(id: string) { const text = this.#texts.get(id); return text ? { record: parse(text) } : null; }
 *   createRecord(record: SessionRecord) { const id = crypto.randomUUID(); this.#texts.set(id, format(record)); return id; }
 *   updateRecord(id: string, record: SessionRecord) { if (!this.#texts.has(id)) return null; this.#texts.set(id, format(record)); return id; }
 *   destroyRecord(id: string) { return this.#texts.delete(id); }
 * }
 * ```
 */
export abstract class RecordStore<Data = SessionData> implements SessionStore<Data> {
  /** The record of `id` with its stored data text, or `null` when it is unknown, expired or invalid. */
  abstract loadEntry(id: string, ctx?: RequestContext, scope?: SessionScope): Awaitable<StoredEntry<NoInfer<Data>> | null>;
  /**
   * Stores `record` as a new session and returns its ID. `dataJson`, when
   * given, is `JSON.stringify(record.data)` as the data stands at this call,
   * made already by the middleware to tell the change: a store that keeps
   * JSON may keep it as it is (the same for `updateRecord`).
   */
  abstract createRecord(record: SessionRecord<Data>, ctx?: RequestContext, scope?: SessionScope, dataJson?: string): Awaitable<string>;
  /**
   * Updates the record of `id` if that session is still alive and returns
   * the ID to send back (a cookie store's new value); `null`, with nothing
   * written, when it is gone: a slow request must not undo a logout.
   */
  abstract updateRecord(
    id: string,
    record: SessionRecord<Data>,
    ctx?: RequestContext,
    scope?: SessionScope,
    dataJson?: string,
  ): Awaitable<string | null>;
  /** Ends the session. `true` when a live session was there (cookie stores cannot know, and say `true`). */
  abstract destroyRecord(id: string, ctx?: RequestContext, scope?: SessionScope): Awaitable<boolean>;

  /**
   * Destroys `oldId` and stores `record` under a new ID, returned; `null`,
   * with nothing stored, when `oldId` was already gone (ended by a
   * concurrent logout), so that a regenerate never revives it.
   */
  async rotateRecord(oldId: string, record: SessionRecord<Data>, ctx?: RequestContext, scope?: SessionScope): Promise<string | null> {
    if (!(await this.destroyRecord(oldId, ctx, scope))) return null;
    return this.createRecord(record, ctx, scope);
  }

  async loadRecord(id: string, ctx?: RequestContext, scope?: SessionScope): Promise<SessionRecord<NoInfer<Data>> | null> {
    return (await this.loadEntry(id, ctx, scope))?.record ?? null;
  }

  /** With an `id` that is unknown, expired or destroyed, the record is saved under a new ID, returned. */
  async saveRecord(id: string | null, record: SessionRecord<Data>, ctx?: RequestContext, scope?: SessionScope): Promise<string> {
    const kept = id === null ? null : await this.updateRecord(id, record, ctx, scope);
    return kept ?? this.createRecord(record, ctx, scope);
  }

  async load(id: string, ctx?: RequestContext): Promise<NoInfer<Data> | null> {
    return (await this.loadEntry(id, ctx))?.record.data ?? null;
  }

  async save(id: string | null, data: Data, maxAge: number, ctx?: RequestContext): Promise<string> {
    const now = Date.now();
    return this.saveRecord(id, { data, createdAt: now, expiresAt: now + maxAge }, ctx);
  }

  async destroy(id: string, ctx?: RequestContext): Promise<void> {
    await this.destroyRecord(id, ctx);
  }
}

/** Duck-typed, so that a store from another copy of the package is recognised too. */
export function isRecordStore<Data>(store: SessionStore<Data>): store is SessionStore<Data> & RecordStore<Data> {
  const candidate = store as Partial<RecordStore<Data>>;
  return (
    typeof candidate.loadEntry === "function" &&
    typeof candidate.createRecord === "function" &&
    typeof candidate.updateRecord === "function" &&
    typeof candidate.destroyRecord === "function" &&
    typeof candidate.rotateRecord === "function"
  );
}
