import type { SessionData, SessionSerializationOptions, SessionStore } from "../types.js";
import { createSerializer, type Serializer } from "./serialization.js";

/**
 * Session data in a plain cookie: the client can read and change all of
 * it, so keep only harmless data here (a theme, a language) and validate it
 * with `parse`; a zod schema's `parse` fits. Invalid data gives a fresh
 * session. There are no timestamps to trust, so the lifetime is the
 * cookie's Max-Age and nothing else.
 */
export class UnsignedCookieStore<Data = SessionData> implements SessionStore<Data> {
  readonly #serializer: Serializer<Data>;

  constructor(serializationOptions?: SessionSerializationOptions<Data>) {
    this.#serializer = createSerializer(serializationOptions);
  }

  load(cookieValue: string): NoInfer<Data> | null {
    return typeof cookieValue === "string" ? this.#serializer.parse(cookieValue) : null;
  }

  save(_id: string | null, data: Data): string {
    return this.#serializer.stringify(data);
  }

  /** Nothing to delete: the middleware clears the cookie. */
  destroy(): void {}
}

/** The name `@hattip/session` uses for `UnsignedCookieStore`. */
export { UnsignedCookieStore as SimpleCookieStore };
