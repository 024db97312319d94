export { session } from "./middleware.js";
export type {
  Awaitable,
  NamedSessionData,
  NamedSessionOptions,
  RollingOptions,
  Session,
  SessionData,
  SessionOptions,
  SessionRecord,
  SessionSerializationOptions,
  SessionStore,
} from "./types.js";
export {
  SessionError,
  SessionKeyError,
  SessionSetupError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
} from "./errors.js";
export {
  DEFAULT_ABSOLUTE_LIFETIME_SECONDS,
  DEFAULT_LIFETIME_SECONDS,
  MAX_DEFAULT_REFRESH_INTERVAL_SECONDS,
} from "./lifetime.js";
export { MAX_COOKIE_BYTES } from "./transport.js";
export { UnsignedCookieStore, SimpleCookieStore } from "./stores/unsigned.js";
export { SignedCookieStore } from "./stores/signed.js";
export { EncryptedCookieStore } from "./stores/encrypted.js";
export { UnsafeMemoryStore, UnsafeMemorySessionStore, type UnsafeMemoryStoreOptions } from "./stores/memory.js";
export { RedisSessionStore, type RedisClientLike, type RedisSessionStoreOptions } from "./stores/redis.js";
export { KvSessionStore, KV_MIN_TTL_SECONDS, type KvNamespaceLike, type KvSessionStoreOptions } from "./stores/kv.js";
