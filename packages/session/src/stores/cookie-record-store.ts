/**
 * What the signed and encrypted cookie stores share: the "session ID" is
 * the cookie value itself, carrying the whole record, bound to the cookie's
 * name (the scope) and naming the key that made it. Subclasses only say
 * how text is protected (`protect`) and recovered (`recover`) with their
 * key ring.
 */
import type { RequestContext } from "@hattip/compose";
import { KEY_ID_LENGTH, type KeyRing } from "../crypto/key-ring.js";
import { DEFAULT_SCOPE_NAME } from "../crypto/purpose.js";
import type { CookieRefusalReason } from "../events.js";
import { RecordStore, type StoredEntry } from "../record-store.js";
import { EXPLAIN_REFUSAL } from "../store-reporting.js";
import type { SessionRecord, SessionScope, SessionSerializationOptions } from "../types.js";
import { recordToText, refusalOfText, textToRecord } from "./record-text.js";
import { createSerializer, type Serializer } from "./serialization.js";

export abstract class CookieRecordStore<Data, Key> extends RecordStore<Data> {
  /** The class name, for telemetry (a minified bundle renames classes). */
  protected abstract readonly storeName: string;
  /** What every value the store makes looks like, whatever its key: what is not shaped so is `malformed`, not `tampered`. */
  protected abstract readonly valueShape: RegExp;
  readonly #serializer: Serializer<Data>;
  #ring: KeyRing<Key> | undefined;
  readonly #pendingRing: Promise<KeyRing<Key>> | undefined;

  /**
   * `ring` is ready at once where every key runs on native crypto; on Web
   * Crypto the key IDs take a promise, and a ring that cannot be built (two
   * keys with one ID) fails the first load or save instead of the constructor.
   */
  constructor(ring: KeyRing<Key> | Promise<KeyRing<Key>>, serializationOptions?: SessionSerializationOptions<Data>) {
    super();
    this.#serializer = createSerializer(serializationOptions);
    if (ring instanceof Promise) {
      this.#pendingRing = ring;
      // Kept for the first use to rethrow; not an unhandled rejection meanwhile.
      ring.then(
        (ready) => (this.#ring = ready),
        () => {},
      );
    } else {
      this.#ring = ring;
    }
  }

  /** Turns the record's text into a cookie value the client cannot forge, bound to the cookie `name`. */
  protected abstract protect(ring: KeyRing<Key>, text: string, name: string): Promise<string>;
  /** The text inside a cookie value made for cookie `name`, or `null` when it was not made by a key of `ring` for it. */
  protected abstract recover(ring: KeyRing<Key>, cookieValue: string, name: string): Promise<string | null>;

  async loadEntry(cookieValue: string, _ctx?: RequestContext, scope?: SessionScope): Promise<StoredEntry<NoInfer<Data>> | null> {
    if (typeof cookieValue !== "string" || cookieValue.length === 0) return null;
    const text = await this.recover(this.#ring ?? (await this.#pendingRing!), cookieValue, scopeName(scope));
    return text === null ? null : textToRecord(text, this.#serializer, Date.now());
  }

  async createRecord(record: SessionRecord<Data>, _ctx?: RequestContext, scope?: SessionScope, dataJson?: string): Promise<string> {
    const text = recordToText(record, this.#serializer, dataJson);
    return this.protect(this.#ring ?? (await this.#pendingRing!), text, scopeName(scope));
  }

  /** A cookie session is updated by writing it whole: the browser keeps the new value in the old one's place. */
  updateRecord(_id: string, record: SessionRecord<Data>, ctx?: RequestContext, scope?: SessionScope, dataJson?: string): Promise<string> {
    return this.createRecord(record, ctx, scope, dataJson);
  }

  /**
   * @internal Why `loadEntry` refused `cookieValue`, checked step by step
   * again: asked only when the app listens for `cookieRefused`.
   */
  async [EXPLAIN_REFUSAL](cookieValue: string, scope?: SessionScope): Promise<CookieRefusalReason> {
    if (typeof cookieValue !== "string" || !this.valueShape.test(cookieValue)) return "malformed";
    const ring = this.#ring ?? (await this.#pendingRing!);
    if (ring.find(cookieValue.slice(0, KEY_ID_LENGTH)) === undefined) return "unknown_key";
    const text = await this.recover(ring, cookieValue, scopeName(scope));
    return text === null ? "tampered" : refusalOfText(text, this.#serializer);
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

function scopeName(scope: SessionScope | undefined): string {
  return typeof scope?.name === "string" ? scope.name : DEFAULT_SCOPE_NAME;
}
