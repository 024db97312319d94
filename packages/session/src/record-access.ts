/**
 * Gives the middleware one view of every store: records with timestamps.
 * A store written for @hattip/session (load/save only) keeps no
 * timestamps, so for it the absolute lifetime and rolling refresh are off
 * and each write simply lasts the session's lifetime.
 */
import type { RequestContext } from "@hattip/compose";
import type { SessionRecord, SessionStore } from "./types.js";

export interface RecordAccess<Data> {
  readonly keepsTimestamps: boolean;
  load(id: string, ctx: RequestContext): Promise<SessionRecord<Data> | null>;
  save(id: string | null, record: SessionRecord<Data>, ctx: RequestContext, now: number): Promise<string>;
  destroy(id: string, ctx: RequestContext): Promise<void>;
}

export function recordAccess<Data>(store: SessionStore<Data>): RecordAccess<Data> {
  const destroy = async (id: string, ctx: RequestContext) => {
    await store.destroy(id, ctx);
  };
  if (store.loadRecord && store.saveRecord) {
    const { loadRecord, saveRecord } = store as Required<SessionStore<Data>>;
    return {
      keepsTimestamps: true,
      load: async (id, ctx) => loadRecord.call(store, id, ctx),
      save: async (id, record, ctx) => saveRecord.call(store, id, record, ctx),
      destroy,
    };
  }
  return {
    keepsTimestamps: false,
    async load(id, ctx) {
      const data = await store.load(id, ctx);
      return data === null || data === undefined
        ? null
        : { data, createdAt: Date.now(), expiresAt: Number.POSITIVE_INFINITY };
    },
    save: async (id, record, ctx, now) => store.save(id, record.data, record.expiresAt - now, ctx),
    destroy,
  };
}
