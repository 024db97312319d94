/**
 * Gives the middleware one view of every store: exact record operations.
 * Bundled stores (and any `RecordStore`) answer them directly. A store
 * written for @hattip/session (load/save/destroy only) keeps no
 * timestamps or metadata, so for it the absolute lifetime, rolling
 * refresh, flash, binding and sudo mode are off, each write simply lasts
 * the session's lifetime, and a destroy is assumed to have found its
 * session.
 */
import type { RequestContext } from "@hattip/compose";
import { isRecordStore, type StoredEntry } from "./record-store.js";
import type { Awaitable, RecordCodec, SessionRecord, SessionScope, SessionStore, UserSessionIndex } from "./types.js";

export interface RecordAccess<Data> {
  /** `false` for a store that keeps only the data (no timestamps, no metadata). */
  readonly keepsRecords: boolean;
  /** The store's per-user index, when it has one. */
  readonly users: UserSessionIndex | undefined;
  /** `true` when the client can edit what the store keeps (an unsigned cookie). */
  readonly clientEditable: boolean;
  /** How a server-side store writes its records as text: what the session cache keeps. `undefined` for any other store. */
  readonly codec: RecordCodec<Data> | undefined;
  /** Told when the session cache's copy answered for session `id` instead of a load (events report it as loaded). */
  loadedFromCopy?(id: string, entry: StoredEntry<Data>, ctx: RequestContext): void;
  // Each answers at once where the store does (a cookie or the memory store): the middleware awaits only a promise.
  load(id: string, ctx: RequestContext, scope: SessionScope): Awaitable<StoredEntry<Data> | null>;
  /** `dataJson`: `JSON.stringify(record.data)` when the middleware made it already (RecordStore). */
  create(record: SessionRecord<Data>, ctx: RequestContext, scope: SessionScope, now: number, dataJson?: string): Awaitable<string>;
  /** `null` when the session is gone and nothing was written. */
  update(id: string, record: SessionRecord<Data>, ctx: RequestContext, scope: SessionScope, now: number, dataJson?: string): Awaitable<string | null>;
  destroy(id: string, ctx: RequestContext, scope: SessionScope): Awaitable<boolean>;
  /** `null` when `oldId` was already gone and nothing was written. */
  rotate(oldId: string, record: SessionRecord<Data>, ctx: RequestContext, scope: SessionScope, now: number): Awaitable<string | null>;
}

export function recordAccess<Data>(store: SessionStore<Data>): RecordAccess<Data> {
  const clientEditable = (store as { clientEditable?: unknown }).clientEditable === true;
  if (isRecordStore(store)) {
    return {
      clientEditable,
      keepsRecords: true,
      users: userIndexOf(store),
      codec: codecOf(store),
      load: (id, ctx, scope) => store.loadEntry(id, ctx, scope),
      create: (record, ctx, scope, _now, dataJson) => store.createRecord(record, ctx, scope, dataJson),
      update: (id, record, ctx, scope, _now, dataJson) => store.updateRecord(id, record, ctx, scope, dataJson),
      destroy: (id, ctx, scope) => store.destroyRecord(id, ctx, scope),
      rotate: (oldId, record, ctx, scope) => store.rotateRecord(oldId, record, ctx, scope),
    };
  }
  const destroy = async (id: string, ctx: RequestContext) => {
    await store.destroy(id, ctx);
    return true;
  };
  if (store.loadRecord && store.saveRecord) {
    const { loadRecord, saveRecord } = store as Required<SessionStore<Data>>;
    const save = async (id: string | null, record: SessionRecord<Data>, ctx: RequestContext, scope: SessionScope) =>
      saveRecord.call(store, id, record, ctx, scope);
    return {
      clientEditable,
      keepsRecords: true,
      users: userIndexOf(store),
      codec: undefined,
      async load(id, ctx, scope) {
        const record = await loadRecord.call(store, id, ctx, scope);
        return record ? { record } : null;
      },
      create: async (record, ctx, scope) => save(null, record, ctx, scope),
      update: save,
      destroy,
      async rotate(oldId, record, ctx, scope) {
        await destroy(oldId, ctx);
        return save(null, record, ctx, scope);
      },
    };
  }
  const save = async (id: string | null, record: SessionRecord<Data>, ctx: RequestContext, now: number) =>
    store.save(id, record.data, record.expiresAt - now, ctx);
  return {
    clientEditable,
    keepsRecords: false,
    users: undefined,
    codec: undefined,
    async load(id, ctx) {
      const data = await store.load(id, ctx);
      return data === null || data === undefined ? null : { record: { data, createdAt: Date.now(), expiresAt: Number.POSITIVE_INFINITY } };
    },
    create: async (record, ctx, _scope, now) => save(null, record, ctx, now),
    update: async (id, record, ctx, _scope, now) => save(id, record, ctx, now),
    destroy,
    async rotate(oldId, record, ctx, _scope, now) {
      await destroy(oldId, ctx);
      return save(null, record, ctx, now);
    },
  };
}

function userIndexOf(store: object): UserSessionIndex | undefined {
  const candidate = store as Partial<UserSessionIndex>;
  return typeof candidate.listUserSessions === "function" &&
    typeof candidate.revokeUserSession === "function" &&
    typeof candidate.revokeUserSessions === "function" &&
    typeof candidate.sessionHandle === "function"
    ? (candidate as UserSessionIndex)
    : undefined;
}

/** Duck-typed, as the user index is: a server-side store of another copy of the package has one too. */
function codecOf<Data>(store: object): RecordCodec<Data> | undefined {
  const candidate = store as { recordCodec?: unknown };
  return typeof candidate.recordCodec === "function" ? (candidate.recordCodec as () => RecordCodec<Data>).call(store) : undefined;
}
