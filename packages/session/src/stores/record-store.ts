/**
 * The @hattip/session contract (`load`/`save`) in terms of records: a
 * store that keeps timestamps writes `loadRecord`/`saveRecord` and gets the
 * plain methods from here, a plain save starting a new session now.
 */
import type { RequestContext } from "@hattip/compose";
import type { Awaitable, SessionData, SessionRecord, SessionStore } from "../types.js";

export abstract class RecordStore<Data = SessionData> implements SessionStore<Data> {
  abstract loadRecord(id: string, ctx?: RequestContext): Awaitable<SessionRecord<NoInfer<Data>> | null>;
  abstract saveRecord(id: string | null, record: SessionRecord<Data>, ctx?: RequestContext): Awaitable<string>;
  abstract destroy(id: string, ctx?: RequestContext): Awaitable<void>;

  async load(id: string, ctx?: RequestContext): Promise<NoInfer<Data> | null> {
    return (await this.loadRecord(id, ctx))?.data ?? null;
  }

  async save(id: string | null, data: Data, maxAge: number, ctx?: RequestContext): Promise<string> {
    const now = Date.now();
    return this.saveRecord(id, { data, createdAt: now, expiresAt: now + maxAge }, ctx);
  }
}
