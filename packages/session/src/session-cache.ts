/**
 * The session cache (`session({ cache })`): a copy of a server-side
 * session's record in a cookie beside the session's, so that GET and HEAD
 * requests within `maxAge` of a store read or write need no store call.
 *
 * A copy is `<cachedAt>|<the store's record text>`, sealed (AES-256-GCM) or
 * signed (HMAC-SHA-256) with the cache's key ring. Its MAC input or AAD
 * covers the cookie name and the session ID the request carries, so a copy
 * answers for no other session, and carries no ID itself. Its age is
 * checked here from `cachedAt`, under the protection, not from the
 * cookie's Max-Age, which a client may ignore.
 *
 * Two cookies, because responses can arrive out of order: a response that
 * wrote the store sets `<name>.cache` (and expires `<name>.cache-read`); a
 * response that only read it sets `<name>.cache-read`. A read that started
 * before a write but answered after it can then only leave its older copy
 * in `.cache-read`, and `.cache` wins whenever both answer.
 *
 * A copy's version is its content: the creation time, the metadata but
 * the last-seen time, and the data. Two copies with the same version hold
 * the same session, whatever happened between them.
 */
import type { RequestContext } from "@hattip/compose";
import { aesKeyRing, hmacKeyRing, type KeyRing } from "./crypto/key-ring.js";
import { assertKeys, type KeyKind, type KeyList } from "./crypto/keys.js";
import { sealedText, signedText, type TextProtection } from "./crypto/protected-text.js";
import { encodePurpose } from "./crypto/purpose.js";
import { utf8Encode } from "./crypto/utf8.js";
import { isSessionError, SessionKeyError, SessionSetupError } from "./errors.js";
import type { StoredEntry } from "./record-store.js";
import { MAX_COOKIE_BYTES, type SessionTransport } from "./transport.js";
import type { RecordCodec, SessionCacheOptions, SessionRecord } from "./types.js";

/** A copy the request carried that answers for its session: the record as the store held it when the copy was made. */
export interface CachedCopy<Data> {
  entry: StoredEntry<Data>;
  /** The record's text in the copy: what the version is taken from, since the handler may change `entry`'s objects. */
  readonly text: string;
}

/** Which cookie a copy goes to: after a store write (or a read that found the browser's copy behind), or after a plain read. */
export type CopyOrigin = "write" | "read";

export interface SessionCache<Data> {
  /** `true` for requests a copy may answer: GET and HEAD. */
  answers(ctx: RequestContext): boolean;
  /** The copy of session `id` the request carries, if one is genuine, made for `id` and younger than `maxAge`. */
  read(ctx: RequestContext, id: string, now: number): Promise<CachedCopy<Data> | null>;
  /** `true` when the store holds what the copy held: the same creation time, metadata (but last seen) and data. */
  isCurrent(copy: CachedCopy<Data>, stored: StoredEntry<Data>): boolean;
  /** Sends a copy of `record`, the session `id`'s; a record too large for a cookie is not copied, and older copies are expired. */
  keep(ctx: RequestContext, id: string, record: SessionRecord<Data>, origin: CopyOrigin, now: number): Promise<void>;
  /** Expires every copy the request carried. */
  clear(ctx: RequestContext): void;
}

export function sessionCache<Data>(
  options: SessionCacheOptions,
  codec: RecordCodec<Data> | undefined,
  transport: SessionTransport,
  cookieName: string,
  customTransport: boolean,
): SessionCache<Data> {
  if (typeof options !== "object" || options === null) {
    throw new SessionSetupError("session() `cache` must be an object: { maxAge, keys }.");
  }
  if (codec === undefined) {
    throw new SessionSetupError(
      "session() `cache` needs a server-side store (UnsafeMemoryStore, RedisSessionStore, KvSessionStore, DurableObjectSessionStore, " +
        "PostgresSessionStore, NetlifyBlobsSessionStore): a cookie store already keeps the whole session in the browser, so there is nothing to cache. Remove `cache`.",
    );
  }
  if (customTransport) {
    throw new SessionSetupError("session() `cache` travels in a cookie beside the session's: it cannot be used with getSessionId or setSessionId.");
  }
  const { maxAge } = options;
  if (typeof maxAge !== "number" || !(maxAge > 0) || !Number.isFinite(maxAge)) {
    throw new SessionSetupError(`session() cache.maxAge must be a positive number of seconds; got ${String(maxAge)}.`);
  }
  const protection = options.protection ?? "encrypted";
  if (protection !== "encrypted" && protection !== "signed") {
    throw new SessionSetupError(`session() cache.protection must be "encrypted" or "signed"; got ${String(protection)}.`);
  }
  const crypto = protection === "encrypted" ? encryptedCopies(options.keys, cookieName) : signedCopies(options.keys, cookieName);
  const maxAgeMs = maxAge * 1000;
  const cookieMaxAge = Math.ceil(maxAge);
  const wroteName = `${cookieName}.cache`;
  const readName = `${cookieName}.cache-read`;

  const open = async (value: string | undefined, id: string, now: number): Promise<CachedCopy<Data> | null> => {
    if (value === undefined || value === "") return null;
    const text = await crypto.recover(value, id);
    if (text === null) return null;
    const bar = text.indexOf("|");
    const cachedAt = bar > 0 && bar <= 15 ? Number(text.slice(0, bar)) : Number.NaN;
    // A copy from the future (another server's clock) is refused too: its age cannot be told.
    if (!Number.isSafeInteger(cachedAt) || cachedAt > now || now - cachedAt >= maxAgeMs) return null;
    const recordText = text.slice(bar + 1);
    const entry = codec.parse(recordText, now);
    return entry === null ? null : { entry, text: recordText };
  };

  const versionOf = (record: SessionRecord<Data>): string => {
    const { seenAt: _seenAt, ...meta } = record.meta ?? {};
    return codec.format({ data: record.data, createdAt: record.createdAt, expiresAt: 0, meta });
  };

  return {
    answers: (ctx) => ctx.request.method === "GET" || ctx.request.method === "HEAD",
    async read(ctx, id, now) {
      return (await open(transport.readBeside(ctx, wroteName), id, now)) ?? (await open(transport.readBeside(ctx, readName), id, now));
    },
    isCurrent(copy, stored) {
      // Parsed again, from the copy's own text: the handler may have changed the objects it loaded.
      const held = codec.parse(copy.text, 0);
      return held !== null && versionOf(held.record) === versionOf(stored.record);
    },
    async keep(ctx, id, record, origin, now) {
      const name = origin === "write" ? wroteName : readName;
      const text = `${now}|${codec.format(record)}`;
      // Base64url of at least one byte per character: a text this long cannot fit, so it is not even protected.
      const fits = name.length + Math.ceil((text.length * 4) / 3) < MAX_COOKIE_BYTES;
      // The copy's cookie need not outlive the session.
      const maxAge = Math.min(cookieMaxAge, Math.max(1, Math.ceil((record.expiresAt - now) / 1000)));
      // Too large for one cookie: not cached, and no older copy may answer in its place.
      if (!fits || !transport.writeBeside(ctx, name, await crypto.protect(text, id), maxAge)) transport.clearBeside(ctx, name);
      if (origin === "write") transport.clearBeside(ctx, readName);
    },
    clear(ctx) {
      transport.clearBeside(ctx, wroteName);
      transport.clearBeside(ctx, readName);
    },
  };
}

interface CopyCrypto {
  protect(text: string, id: string): Promise<string>;
  recover(value: string, id: string): Promise<string | null>;
}

function encryptedCopies(keys: unknown, cookieName: string): CopyCrypto {
  checkKeys(keys, "AES-GCM");
  return copyCrypto(aesKeyRing(keys, "session() cache"), sealedText, encodePurpose("cache-encrypted", cookieName));
}

function signedCopies(keys: unknown, cookieName: string): CopyCrypto {
  checkKeys(keys, "HMAC");
  return copyCrypto(hmacKeyRing(keys, "session() cache"), signedText, encodePurpose("cache-signed", cookieName));
}

function copyCrypto<Key>(pending: KeyRing<Key> | Promise<KeyRing<Key>>, protection: TextProtection<Key>, purpose: Uint8Array): CopyCrypto {
  let ring = pending instanceof Promise ? undefined : pending;
  if (pending instanceof Promise) {
    // Kept for the first use to rethrow; not an unhandled rejection meanwhile.
    pending.then(
      (ready) => (ring = ready),
      () => {},
    );
  }
  const ready = async () => ring ?? (await pending);
  return {
    protect: async (text, id) => protection.protect(await ready(), boundTo(purpose, id), text),
    recover: async (value, id) => protection.recover(await ready(), boundTo(purpose, id), value),
  };
}

/** The purpose bytes of one session's copies: the cookie's, then the session ID's length and bytes. */
function boundTo(purpose: Uint8Array, id: string): Uint8Array<ArrayBuffer> {
  const idBytes = utf8Encode(id);
  const bytes = new Uint8Array(purpose.length + 4 + idBytes.length);
  bytes.set(purpose);
  new DataView(bytes.buffer).setUint32(purpose.length, idBytes.length);
  bytes.set(idBytes, purpose.length + 4);
  return bytes;
}

function checkKeys(keys: unknown, kind: KeyKind): asserts keys is KeyList {
  const other = kind === "AES-GCM" ? "HMAC" : "AES-GCM";
  const list = Array.isArray(keys) ? (keys as unknown[]) : [];
  if (list.some((key) => (key as CryptoKey | undefined)?.algorithm?.name === other)) {
    throw new SessionKeyError(
      kind === "AES-GCM"
        ? "session() cache.keys holds HMAC keys, but the cache is encrypted by default: give it AES-256-GCM keys " +
            '(EncryptedCookieStore.generateKeysFromBase64), or set cache.protection to "signed" to let the browser read its copy.'
        : 'session() cache.keys holds AES-GCM keys, but cache.protection is "signed": give it HMAC keys (SignedCookieStore.generateKeysFromBase64), ' +
            'or leave protection at its default, "encrypted".',
    );
  }
  try {
    assertKeys(keys, kind, kind === "AES-GCM" ? "EncryptedCookieStore" : "SignedCookieStore");
  } catch (error) {
    if (!isSessionError(error, "ERR_SESSION_KEY")) throw error;
    throw new SessionKeyError(`session() cache.keys: ${error.message}`);
  }
}
