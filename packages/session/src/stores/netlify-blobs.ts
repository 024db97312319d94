/**
 * Sessions in Netlify Blobs, through a store from `@netlify/blobs`
 * (`getStore`), read with strong consistency: server-side sessions for
 * Netlify Functions and Edge Functions. One blob per session, keyed by the
 * SHA-256 of its ID; a session bound to a user sits under that user's
 * routing tag (`<prefix><tag>/<hash>`), so a user's sessions are one
 * `list` away.
 *
 * Blobs has conditional writes (create only if new, overwrite only if the
 * ETag matches) but no conditional delete, so:
 * - an update overwrites the blob only at the ETag this request loaded (or,
 *   outside a request, just read): a session deleted meanwhile stays deleted;
 * - a rotation writes the new session first, then destroys the old one by
 *   overwriting it with a tombstone at its ETag, and deletes the tombstone.
 *   If the old one was gone, the new one is deleted and the login refused;
 * - a revoke of all a user's sessions lists and deletes until a list comes
 *   back with nothing to delete, so that a rotation that raced it (whose new
 *   blob exists before its old one dies) is caught by the next list.
 * Blobs has no TTL: a read that meets an expired session deletes it, and
 * `deleteExpired()`, run from a scheduled function, clears the rest.
 *
 * Blobs takes no deadline and cannot cancel a call, and its client retries
 * a failed one on its own: a write the store reports as failed may still
 * land when Blobs gets to it. What it can then do is bounded by its
 * condition: an update only over the version it read (never over a newer
 * write or an ended session), a create only under a new ID no browser was
 * given, a logout's or a revoke's delete only ending what was asked. A
 * login whose tombstone over the old session fails takes its new session
 * back; the old one may still end. The errors say which.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import type { StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionInfo } from "../types.js";
import { DeadlineExceeded, describeFailure, withDeadline } from "./deadline.js";
import type { StorageKey } from "./external-keys.js";
import { ExternalStore, ID_TAKEN, type ExternalStoreOptions } from "./external-store.js";
import { textToRecord } from "./record-text.js";
import { handleFromIdHash, type IndexedUser } from "./session-id.js";
import { userSessionInfo } from "./user-sessions.js";

type Consistency = { consistency: "strong" };
type BlobMetadata = Record<string, unknown>;

/** The part of a `@netlify/blobs` store (`getStore(...)`) the session store uses. Version 10 or later. */
export interface NetlifyBlobStoreLike {
  getWithMetadata(key: string, options: Consistency): Promise<{ data: string; etag?: string; metadata: BlobMetadata } | null>;
  getMetadata(key: string, options: Consistency): Promise<{ etag?: string; metadata: BlobMetadata } | null>;
  set(
    key: string,
    value: string,
    options: { metadata: BlobMetadata; onlyIfNew: true } | { metadata: BlobMetadata; onlyIfMatch: string },
  ): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  list(options: { prefix: string }): Promise<{ blobs: { key: string; etag?: string }[] }>;
}

export interface NetlifyBlobsSessionStoreOptions<Data = SessionData> extends Omit<ExternalStoreOptions<Data>, "prefix"> {
  /**
   * The folder of the Blobs store the sessions live in: it must end with
   * `/` and not start with one. Everything under it is the session store's
   * (`deleteExpired()` deletes what is no live session there), so it is a
   * folder of its own, never a prefix that other keys share.
   * @default "session/"
   */
  prefix?: string;
  /**
   * The Blobs store for this request, created once.
   * @example
   * ```ts
   * import { getStore } from "@netlify/blobs";
   * const blobs = getStore({ name: "sessions", consistency: "strong" });
   * new NetlifyBlobsSessionStore({ getStore: () => blobs })
   * ```
   */
  getStore: (ctx: RequestContext | undefined) => Awaitable<NetlifyBlobStoreLike>;
  /**
   * How long a request may wait for one Blobs call before it fails with
   * `SessionStoreUnavailableError`, in milliseconds. The Blobs client
   * retries a failed call for up to 25 s on its own; this cuts it short.
   * @default 3000
   */
  timeout?: number;
}

const MAX_PREFIX_LENGTH = 200;
/** Writes that lost to a concurrent write of the same session before one gets through. */
const WRITE_ATTEMPTS = 4;
/** Lists a revoke-all makes before it gives up on a user whose sessions keep appearing. */
const REVOKE_ROUNDS = 5;
const TOMBSTONE = "0|ended";
const STRONG: Consistency = { consistency: "strong" };

/** ETags of the sessions a request loaded, so that its write needs no second read. */
const loadedEtags = new WeakMap<object, Map<string, string>>();

/**
 * @example
 * ```ts
 * import { getStore } from "@netlify/blobs";
 * const store = new NetlifyBlobsSessionStore({ getStore: () => getStore({ name: "sessions", consistency: "strong" }) });
 * ```
 */
export class NetlifyBlobsSessionStore<Data = SessionData> extends ExternalStore<Data> {
  readonly #getStore: (ctx: RequestContext | undefined) => Awaitable<NetlifyBlobStoreLike>;
  readonly #prefix: string;

  constructor(options: NetlifyBlobsSessionStoreOptions<Data>) {
    super(options, { name: "NetlifyBlobsSessionStore", prefix: "session/", timeout: 3000 });
    if (typeof options?.getStore !== "function") {
      throw new SessionSetupError(
        'NetlifyBlobsSessionStore needs `getStore`, a function that returns a Netlify Blobs store (`() => getStore({ name: "sessions", consistency: "strong" })`).',
      );
    }
    this.#getStore = options.getStore;
    this.#prefix = this.keys.prefix;
    // A listing of "session" also finds "sessions-archive/...": deleteExpired() would delete the app's own blobs.
    if (!this.#prefix.endsWith("/") || this.#prefix.startsWith("/") || this.#prefix.length > MAX_PREFIX_LENGTH) {
      throw new SessionSetupError(
        `NetlifyBlobsSessionStore \`prefix\` must be a folder of the sessions' own: end it with '/', do not start it with one, at most ${MAX_PREFIX_LENGTH} characters ` +
          `(got ${JSON.stringify(this.#prefix.slice(0, 60))}). Everything under it is the store's: deleteExpired() deletes what is no live session there.`,
      );
    }
  }

  protected async readEntry(id: string, ctx?: RequestContext): Promise<StoredEntry<Data> | null> {
    const key = await this.#keyOf(id);
    if (key === null) return null;
    const store = await this.#store(ctx);
    const blob = await this.#blobs("read", () => store.getWithMetadata(key, STRONG));
    if (blob === null) return null;
    const entry = typeof blob.data === "string" ? textToRecord(blob.data, this.keys.serializer, Date.now()) : null;
    if (entry === null) {
      await this.#deleteDead(store, key);
      return null;
    }
    if (ctx && blob.etag) etagsOf(ctx).set(key, blob.etag);
    return entry;
  }

  /** Written only if the key is new: a new ID never overwrites another session. */
  async createRecord(record: SessionRecord<Data>, ctx?: RequestContext): Promise<string> {
    const text = this.recordText(record);
    const store = await this.#store(ctx);
    return this.withNewId(record.meta?.user, async (fresh) =>
      (await this.#write(store, this.#blobKey(fresh), text, record.expiresAt, { onlyIfNew: true }, "create")) ? fresh.id : ID_TAKEN,
    );
  }

  async updateRecord(id: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const key = await this.#keyOf(id);
    if (key === null) return null;
    const text = this.recordText(record);
    const store = await this.#store(ctx);
    return (await this.#overwriteLive(store, key, ctx, text, record.expiresAt, "update")) ? id : null;
  }

  async destroyRecord(id: string, ctx?: RequestContext): Promise<boolean> {
    const key = await this.#keyOf(id);
    if (key === null) return false;
    const store = await this.#store(ctx);
    const head = await this.#blobs("read", () => store.getMetadata(key, STRONG));
    if (head === null) return false;
    await this.#blobs("end", () => store.delete(key));
    if (ctx) etagsOf(ctx).delete(key);
    return isLive(head.metadata);
  }

  override async rotateRecord(oldId: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const oldKey = await this.#keyOf(oldId);
    if (oldKey === null) return null;
    const text = this.recordText(record);
    const store = await this.#store(ctx);
    const fresh = await this.withNewId(record.meta?.user, async (candidate) =>
      (await this.#write(store, this.#blobKey(candidate), text, record.expiresAt, { onlyIfNew: true }, "create")) ? candidate : ID_TAKEN,
    );
    const newKey = this.#blobKey(fresh);
    // The new session exists before the old one dies: a revoke-all that lists after this destroy sees it.
    let ended: boolean;
    try {
      ended = await this.#overwriteLive(store, oldKey, ctx, TOMBSTONE, 0, "tombstone");
    } catch (error) {
      // The login fails: the new session, which no browser was given, must not stay listed under the user.
      await this.#deleteDead(store, newKey);
      throw error;
    }
    if (!ended) {
      await this.#blobs("end", () => store.delete(newKey));
      return null;
    }
    await this.#blobs("end", () => store.delete(oldKey));
    if (ctx) etagsOf(ctx).delete(oldKey);
    return fresh.id;
  }

  /**
   * Blobs lists keys without their metadata, so every session of the user
   * is read to know its deadline (one read each); the base keeps the
   * latest `MAX_LISTED_USER_SESSIONS`.
   */
  protected async listSessionsOf(user: IndexedUser, _limit: number, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const store = await this.#store(ctx);
    const entries = await this.#userEntries(store, user);
    return entries.flatMap(({ info }) => (info ? [info] : []));
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string, ctx: RequestContext | undefined): Promise<void> {
    const store = await this.#store(ctx);
    for (const entry of await this.#userEntries(store, user)) {
      if (entry.info?.handle === handle) await this.#blobs("end", () => store.delete(entry.key));
    }
  }

  /**
   * Lists and deletes until a listing shows nothing it has not already
   * settled: a session that vanished between a listing and its read may
   * have been rotated, and its successor only shows in the next listing.
   */
  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void> {
    const store = await this.#store(ctx);
    const settled = new Set<string>();
    for (let round = 0; round < REVOKE_ROUNDS; round++) {
      const entries = await this.#userEntries(store, user, settled);
      if (entries.length === 0) return;
      await Promise.all(
        entries.map(async ({ key, info, foreign }) => {
          if (foreign || (info && info.handle === exceptHandle)) settled.add(key);
          else if (info) await this.#blobs("end", () => store.delete(key));
        }),
      );
    }
    throw new SessionStoreUnavailableError(
      `New sessions of this user kept appearing while their sessions were revoked (${REVOKE_ROUNDS} rounds). Retry the revoke.`,
    );
  }

  /**
   * Deletes every expired session (and any blob under the prefix that is no
   * session) and returns how many. Blobs has no TTL: run this from a
   * scheduled function, say daily; reads also delete the expired sessions
   * they meet. One `list` and one metadata read per blob.
   */
  async deleteExpired(ctx?: RequestContext): Promise<number> {
    const store = await this.#store(ctx);
    const { blobs } = await this.#blobs("read", () => store.list({ prefix: this.#prefix }));
    let deleted = 0;
    for (const { key } of blobs) {
      const head = await this.#blobs("read", () => store.getMetadata(key, STRONG));
      if (head === null || isLive(head.metadata)) continue;
      await this.#blobs("end", () => store.delete(key));
      deleted++;
    }
    return deleted;
  }

  /**
   * A user's session blobs (but those in `skip`), each with its listing
   * entry: `null` when it was gone, expired or unreadable (deleted on
   * sight), and `foreign` when it belongs to another user whose tag is the same.
   */
  async #userEntries(
    store: NetlifyBlobStoreLike,
    user: IndexedUser,
    skip: ReadonlySet<string> = new Set(),
  ): Promise<{ key: string; info: UserSessionInfo | null; foreign: boolean }[]> {
    const directory = `${this.#prefix}${user.tag}/`;
    const { blobs } = await this.#blobs("read", () => store.list({ prefix: directory }));
    const now = Date.now();
    const keys = blobs
      .map(({ key }) => key)
      .filter((key) => key.startsWith(directory) && !key.slice(directory.length).includes("/") && !skip.has(key));
    return Promise.all(
      keys.map(async (key) => {
        const blob = await this.#blobs("read", () => store.getWithMetadata(key, STRONG));
        const entry = blob && typeof blob.data === "string" ? textToRecord(blob.data, this.keys.serializer, now) : null;
        if (entry === null) {
          if (blob !== null) await this.#deleteDead(store, key);
          return { key, info: null, foreign: false };
        }
        const info = userSessionInfo(user.id, await handleFromIdHash(key.slice(directory.length)), entry.record);
        return { key, info, foreign: info === null };
      }),
    );
  }

  /**
   * Overwrites the blob at `key` only while it holds a live session, at the
   * ETag this request loaded or a fresh read's. `false`, with nothing
   * written, when the session is gone or expired.
   */
  async #overwriteLive(
    store: NetlifyBlobStoreLike,
    key: string,
    ctx: RequestContext | undefined,
    text: string,
    expiresAt: number,
    kind: "update" | "tombstone",
  ): Promise<boolean> {
    let loaded = ctx ? etagsOf(ctx).get(key) : undefined;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const etag = loaded ?? (await this.#liveEtag(store, key));
      if (etag === null) return false;
      const written = await this.#write(store, key, text, expiresAt, { onlyIfMatch: etag }, kind);
      if (written) {
        if (ctx) etagsOf(ctx).set(key, written);
        return true;
      }
      // Another write (or a delete) got there first: read again to tell which.
      loaded = undefined;
    }
    throw new SessionStoreUnavailableError(
      `Netlify Blobs kept refusing a session write at the ETag just read (${WRITE_ATTEMPTS} attempts). Retry later.`,
    );
  }

  /**
   * The ETag of the live session at `key`, or `null` when there is none.
   * Netlify answers a metadata read with the ETag; the local server of
   * `netlify dev` gives ETags only in listings, so a listing fills in.
   */
  async #liveEtag(store: NetlifyBlobStoreLike, key: string): Promise<string | null> {
    const head = await this.#blobs("read", () => store.getMetadata(key, STRONG));
    if (head === null || !isLive(head.metadata)) return null;
    if (head.etag) return head.etag;
    const { blobs } = await this.#blobs("read", () => store.list({ prefix: key }));
    return blobs.find((blob) => blob.key === key)?.etag || null;
  }

  /** The new ETag (or `"written"` when the client gives none), or `null` when the condition failed. */
  async #write(
    store: NetlifyBlobStoreLike,
    key: string,
    text: string,
    expiresAt: number,
    condition: { onlyIfNew: true } | { onlyIfMatch: string },
    kind: BlobsWrite,
  ): Promise<string | null> {
    const result = await this.#blobs(kind, () => store.set(key, text, { metadata: { expiresAt }, ...condition }));
    const modified = (result as { modified?: unknown } | undefined)?.modified;
    if (typeof modified !== "boolean") {
      throw new SessionSetupError(
        "NetlifyBlobsSessionStore needs conditional writes (`onlyIfNew`, `onlyIfMatch`), which @netlify/blobs has since 10.0: run `npm install @netlify/blobs@latest`.",
      );
    }
    if (!modified) return null;
    return (result as { etag?: string }).etag || "written";
  }

  /** A blob that is no live session: deleted on sight, without failing the read that met it. */
  async #deleteDead(store: NetlifyBlobStoreLike, key: string): Promise<void> {
    await this.#blobs("end", () => store.delete(key)).catch(() => undefined);
  }

  async #keyOf(id: string): Promise<string | null> {
    const located = await this.keys.locate(id);
    return located === null ? null : this.#blobKey(located);
  }

  #blobKey(located: Pick<StorageKey, "idHash" | "tag">): string {
    return located.tag === undefined ? `${this.#prefix}${located.idHash}` : `${this.#prefix}${located.tag}/${located.idHash}`;
  }

  async #store(ctx: RequestContext | undefined): Promise<NetlifyBlobStoreLike> {
    const store = await this.#getStore(ctx);
    if (typeof store?.getWithMetadata !== "function" || typeof store.set !== "function" || typeof store.list !== "function") {
      throw new SessionSetupError(
        "NetlifyBlobsSessionStore's getStore returned something that is not a Netlify Blobs store (from `getStore()` of @netlify/blobs).",
      );
    }
    return store;
  }

  async #blobs<T>(kind: BlobsCall, call: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(Promise.resolve().then(call), this.timeout);
    } catch (error) {
      if (error instanceof SessionSetupError) throw error;
      if (error instanceof Error && error.name === "BlobsConsistencyError") {
        throw new SessionSetupError(
          `NetlifyBlobsSessionStore reads with strong consistency, and this Blobs store cannot (${error.message}). ` +
            "On Netlify it can; elsewhere pass `uncachedEdgeURL` (or `apiURL`) to getStore.",
          { cause: error },
        );
      }
      const why = error instanceof DeadlineExceeded ? `did not answer within ${this.timeout} ms` : `failed (${describeFailure(error)})`;
      throw new SessionStoreUnavailableError(
        `A Netlify Blobs session ${kind === "read" ? "read" : "write"} ${why}: ${LEFT_BEHIND[kind]}; retry later.`,
        {
          cause: error,
        },
      );
    }
  }
}

/**
 * A Blobs call, for what its failure leaves behind. Blobs takes no
 * deadline and its client retries a failed call on its own (for some 25 s),
 * so a write the store gave up on may still land: each kind says how.
 */
type BlobsCall = "read" | BlobsWrite | "end";
type BlobsWrite = "create" | "update" | "tombstone";

const LEFT_BEHIND: Record<BlobsCall, string> = {
  read: "nothing was changed",
  create: "a new session may still be stored when Blobs gets to it, under an ID no browser was given",
  update:
    "this session write may still be saved when Blobs gets to it, but only over the version this request read: " +
    "never over a newer write, never over a session ended meanwhile",
  tombstone: "the old session may still be ended when Blobs gets to it",
  end: "the session may still be ended when Blobs gets to it",
};

function etagsOf(ctx: object): Map<string, string> {
  let etags = loadedEtags.get(ctx);
  if (!etags) loadedEtags.set(ctx, (etags = new Map()));
  return etags;
}

function isLive(metadata: BlobMetadata | undefined): boolean {
  const expiresAt = metadata?.["expiresAt"];
  return typeof expiresAt === "number" && expiresAt > Date.now();
}
