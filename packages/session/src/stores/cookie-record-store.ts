/**
 * What the signed and encrypted cookie stores share: the "session ID" is
 * the cookie value itself, carrying the whole record. Subclasses only say
 * how text is protected (`protect`) and recovered (`recover`).
 */
import type { RequestContext } from "@hattip/compose";
import { RecordStore, type StoredEntry } from "../record-store.js";
import type { SessionData, SessionRecord, SessionSerializationOptions } from "../types.js";
import { recordToText, textToRecord } from "./record-text.js";
import { createSerializer, type Serializer } from "./serialization.js";

/**
 * Cookie values recently proven ours, with their text. A browser sends the
 * same value on every request until the session changes, and checking it
 * again (HMAC or AES-GCM through Web Crypto) is most of what a read-only
 * request costs. The lookup is by the exact value, so nothing unproven is
 * ever trusted; expiry is still checked on every load, from the text.
 */
const RECOVERED_CACHE_SIZE = 500;

export abstract class CookieRecordStore<Data = SessionData> extends RecordStore<Data> {
  readonly #serializer: Serializer<Data>;
  readonly #recovered = new Map<string, string>();

  constructor(serializationOptions?: SessionSerializationOptions<Data>) {
    super();
    this.#serializer = createSerializer(serializationOptions);
  }

  /** Turns the record's text into a cookie value the client cannot forge. */
  protected abstract protect(text: string): Promise<string>;
  /** The text inside a cookie value, or `null` when it was not made with our keys. */
  protected abstract recover(cookieValue: string): Promise<string | null>;

  async loadEntry(cookieValue: string, _ctx?: RequestContext): Promise<StoredEntry<NoInfer<Data>> | null> {
    if (typeof cookieValue !== "string" || cookieValue.length === 0) return null;
    const text = this.#recovered.get(cookieValue) ?? (await this.#recoverAndRemember(cookieValue));
    return text === null ? null : textToRecord(text, this.#serializer, Date.now());
  }

  async #recoverAndRemember(cookieValue: string): Promise<string | null> {
    const text = await this.recover(cookieValue);
    if (text !== null) this.#remember(cookieValue, text);
    return text;
  }

  #remember(cookieValue: string, text: string): void {
    // Oldest first out: a Map iterates in insertion order.
    if (this.#recovered.size >= RECOVERED_CACHE_SIZE) this.#recovered.delete(this.#recovered.keys().next().value!);
    this.#recovered.set(cookieValue, text);
  }

  async createRecord(record: SessionRecord<Data>, _ctx?: RequestContext): Promise<string> {
    const text = recordToText(record, this.#serializer);
    const cookieValue = await this.protect(text);
    // We made it, so the browser's next request with it needs no check either.
    this.#remember(cookieValue, text);
    return cookieValue;
  }

  /** A cookie session is rewritten whole: the new value replaces the old one in the browser. */
  updateRecord(_id: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string> {
    return this.createRecord(record, ctx);
  }

  /**
   * Nothing to delete: the session lives in the cookie, which the
   * middleware clears. A copy kept by the client stays valid until it
   * expires; keep lifetimes short where that matters, or use a server-side
   * store. There is no telling whether it was live, so the answer is yes.
   */
  async destroyRecord(): Promise<boolean> {
    return true;
  }
}
