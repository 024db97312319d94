export { session } from "./middleware.js";
export type {
  Awaitable,
  ChunkingOptions,
  FlashValues,
  NamedSessionData,
  NamedSessionFlashData,
  NamedSessionOptions,
  RollingOptions,
  SchemaSessionOptions,
  Session,
  SessionCacheOptions,
  SessionData,
  SessionFlashData,
  SessionMeta,
  SessionMiddleware,
  SessionOptions,
  SessionRecord,
  SessionScope,
  SessionSerializationOptions,
  SessionStore,
  UserSessionIndex,
  UserSessionInfo,
} from "./types.js";
export type { StandardSchemaV1 } from "./schema.js";
export type {
  CookieRefusalReason,
  SessionBoundEvent,
  SessionCookieRefusedEvent,
  SessionCreatedEvent,
  SessionDestroyedEvent,
  SessionEvent,
  SessionEventListener,
  SessionEventListeners,
  SessionEventOf,
  SessionEventType,
  SessionRevokedEvent,
  SessionRotatedEvent,
  SessionStoreUnavailableEvent,
  SessionSudoConfirmedEvent,
  StoreOperation,
} from "./events.js";
export type {
  TelemetryAttributes,
  TelemetryMeter,
  TelemetryOptions,
  TelemetrySpan,
  TelemetryTracer,
} from "./telemetry.js";
export {
  isSessionError,
  SessionError,
  SessionKeyError,
  SessionSetupError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionUnsupportedError,
  type SessionErrorCode,
  type SessionErrorOfCode,
} from "./errors.js";
export {
  DEFAULT_ABSOLUTE_LIFETIME_SECONDS,
  DEFAULT_LIFETIME_SECONDS,
  MAX_DEFAULT_REFRESH_INTERVAL_SECONDS,
} from "./lifetime.js";
export { DEFAULT_MAX_CHUNKS, MAX_COOKIE_BYTES } from "./transport.js";
export { RecordStore, type StoredEntry } from "./record-store.js";
export { MAX_LISTED_USER_SESSIONS } from "./stores/user-sessions.js";
export { UnsignedCookieStore, SimpleCookieStore } from "./stores/unsigned.js";
export { SignedCookieStore } from "./stores/signed.js";
export { EncryptedCookieStore } from "./stores/encrypted.js";
export { UnsafeMemoryStore, UnsafeMemorySessionStore, type UnsafeMemoryStoreOptions } from "./stores/memory.js";
export { RedisSessionStore, type RedisClientLike, type RedisSessionStoreOptions } from "./stores/redis.js";
export type { RedisDurabilityOptions } from "./stores/redis-durability.js";
export { KvSessionStore, KV_MIN_TTL_SECONDS, type KvNamespaceLike, type KvSessionStoreOptions } from "./stores/kv.js";
export {
  PostgresSessionStore,
  postgresSessionTableSql,
  type PostgresClientLike,
  type PostgresSessionStoreOptions,
} from "./stores/postgres.js";
export {
  DurableObjectSessionStore,
  type DurableObjectNamespaceLike,
  type DurableObjectSessionStoreOptions,
  type DurableObjectStubLike,
} from "./stores/durable-object.js";
export { SessionDurableObject, type SessionDurableObjectState } from "./stores/session-durable-object.js";
export {
  NetlifyBlobsSessionStore,
  type NetlifyBlobStoreLike,
  type NetlifyBlobsSessionStoreOptions,
} from "./stores/netlify-blobs.js";
