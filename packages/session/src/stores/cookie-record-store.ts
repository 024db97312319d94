/**
 * What the signed and encrypted cookie stores share: the "session ID" is
 * the cookie value itself, carrying the whole record. Subclasses only say
 * how text is protected (`protect`) and recovered (`recover`).
 */
import type { RequestContext } from "@hattip/compose";
import type { SessionData, SessionRecord, SessionSerializationOptions, SessionStore } from "../types.js";
import { recordToText, textToRecord } from "./record-text.js";
import { createSerializer, type Serializer } from "./serialization.js";

export abstract class CookieRecordStore<Data = SessionData> implements SessionStore<Data> {
  readonly #serializer: Serializer<Data>;

  constructor(serializationOptions?: SessionSerializationOptions<Data>) {
    this.#serializer = createSerializer(serializationOptions);
  }

  /** Turns the record's text into a cookie value the client cannot forge. */
  protected abstract protect(text: string): Promise<string>;
  /** The text inside a cookie value, or `null` when it was not made with our keys. */
  protected abstract recover(cookieValue: string): Promise<string | null>;

  async loadRecord(cookieValue: string, _ctx?: RequestContext): Promise<SessionRecord<NoInfer<Data>> | null> {
    if (typeof cookieValue !== "string" || cookieValue.length === 0) return null;
    const text = await this.recover(cookieValue);
    return text === null ? null : textToRecord(text, this.#serializer, Date.now());
  }

  saveRecord(_id: string | null, record: SessionRecord<Data>, _ctx?: RequestContext): Promise<string> {
    return this.protect(recordToText(record, this.#serializer));
  }

  async load(cookieValue: string, ctx?: RequestContext): Promise<NoInfer<Data> | null> {
    return (await this.loadRecord(cookieValue, ctx))?.data ?? null;
  }

  save(_id: string | null, data: Data, maxAge: number, ctx?: RequestContext): Promise<string> {
    const now = Date.now();
    return this.saveRecord(null, { data, createdAt: now, expiresAt: now + maxAge }, ctx);
  }

  /**
   * Nothing to delete: the session lives in the cookie, which the
   * middleware clears. A copy kept by the client stays valid until it
   * expires; keep lifetimes short where that matters, or use a server-side
   * store.
   */
  destroy(): void {}
}
