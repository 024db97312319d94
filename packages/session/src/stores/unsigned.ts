/**
 * Session data in a plain cookie: the client can read and change all of
 * it, so keep only harmless data here (a theme, a language) and validate it
 * (`schema` on session(), or `parse`). Invalid data gives a fresh session.
 * The value is the same record text the other stores keep, in the clear;
 * its timestamps are honoured but a client can edit them, so expiry here
 * is a convenience, not a control.
 */
import type { RequestContext } from "@hattip/compose";
import type { CookieRefusalReason } from "../events.js";
import { RecordStore, type StoredEntry } from "../record-store.js";
import { EXPLAIN_REFUSAL } from "../store-reporting.js";
import type { SessionData, SessionRecord, SessionScope, SessionSerializationOptions } from "../types.js";
import { recordToText, refusalOfText, textToRecord } from "./record-text.js";
import { createSerializer, type Serializer } from "./serialization.js";

/**
 * Session data in a plain cookie the client can read and edit: for
 * harmless data only (a theme, a language), validated on every load. It
 * refuses sign-in state (`bindUser`, `markAuthenticated`).
 *
 * @example
 * ```ts
 * const Preferences = v.object({ theme: v.picklist(["light", "dark"]) });
 * app.use(session({ name: "preferences", store: new UnsignedCookieStore(), schema: Preferences, defaultSessionData: { theme: "light" } }));
 * ```
 */
export class UnsignedCookieStore<Data = SessionData> extends RecordStore<Data> {
  /** The client can edit what this store keeps: no user binding or sign-in time may live here. */
  readonly clientEditable = true;
  /** The class name, for telemetry (a minified bundle renames classes). */
  protected readonly storeName = "UnsignedCookieStore";
  readonly #serializer: Serializer<Data>;

  /**
   * @example
   * ```ts
   * session({ name: "preferences", store: new UnsignedCookieStore(), schema: Preferences, defaultSessionData: { theme: "light" } })
   * ```
   */
  constructor(serializationOptions?: SessionSerializationOptions<Data>) {
    super();
    this.#serializer = createSerializer(serializationOptions);
  }

  loadEntry(cookieValue: string, _ctx?: RequestContext): StoredEntry<NoInfer<Data>> | null {
    if (typeof cookieValue !== "string" || cookieValue.length === 0) return null;
    // A value written by @hattip/session (or 0.1) is the data alone; it lives as long as its cookie.
    if (cookieValue.startsWith("{")) {
      const data = this.#serializer.parse(cookieValue);
      return data === null ? null : { record: { data, createdAt: Date.now(), expiresAt: Number.POSITIVE_INFINITY } };
    }
    return textToRecord(cookieValue, this.#serializer, Date.now());
  }

  createRecord(record: SessionRecord<Data>, _ctx?: RequestContext, _scope?: SessionScope, dataJson?: string): string {
    return recordToText(record, this.#serializer, dataJson);
  }

  updateRecord(_id: string, record: SessionRecord<Data>, _ctx?: RequestContext, _scope?: SessionScope, dataJson?: string): string {
    return this.createRecord(record, _ctx, _scope, dataJson);
  }

  /** @internal Why `loadEntry` refused `cookieValue`: asked only when the app listens for `cookieRefused`. */
  async [EXPLAIN_REFUSAL](cookieValue: string): Promise<CookieRefusalReason> {
    if (typeof cookieValue !== "string" || cookieValue.length === 0 || cookieValue.startsWith("{")) return "malformed";
    return refusalOfText(cookieValue, this.#serializer);
  }

  /** Nothing to delete: the middleware clears the cookie. */
  destroyRecord(): boolean {
    return true;
  }
}

/** The name `@hattip/session` uses for `UnsignedCookieStore`. */
export { UnsignedCookieStore as SimpleCookieStore };
