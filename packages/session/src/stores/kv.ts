/**
 * Sessions in Cloudflare Workers KV. One key per session (a hash of its
 * ID), its value the record text of record-text.ts.
 *
 * KV expires keys no sooner than 60 s after a write, so the deadline inside
 * the value is what ends a shorter session on time; the KV TTL only clears
 * the key away afterwards. KV is eventually consistent: a write is seen at
 * once where it was made and elsewhere within about a minute. destroy()
 * therefore writes a tombstone rather than deleting, so that a later save
 * at that location knows the session was ended (and will not revive it);
 * the docs spell out what stays open.
 *
 * A session bound to a user also has an entry of its own under that
 * user's prefix (`prefix + "user:" + keyed hash of the user ID + ":" + ID hash`),
 * written before the session and expiring with it, its list details in
 * the entry's metadata: listing a user's sessions is one `list()`, and no
 * write ever reads a shared index and then writes it back.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import type { StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionInfo } from "../types.js";
import { ExternalStore, type ExternalStoreOptions } from "./external-store.js";
import { textToRecord } from "./record-text.js";
import { handleFromIdHash, isIdHash, type IndexedUser } from "./session-id.js";

/** The part of a Workers `KVNamespace` binding the store uses. */
export interface KvNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number; metadata?: unknown }): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  /** Keys under a prefix with their metadata, a page at a time: how a user's sessions are found. */
  list(options: { prefix: string; cursor?: string }): Promise<KvListPage>;
}

/** A page of `list()`, as a KV binding returns it. */
export interface KvListPage {
  keys: { name: string; expiration?: number; metadata?: unknown }[];
  list_complete: boolean;
  cursor?: string;
}

export interface KvSessionStoreOptions<Data = SessionData> extends ExternalStoreOptions<Data> {
  /** The namespace for this request, e.g. `(ctx) => ctx.platform.env.SESSIONS`. */
  getStore: (ctx: RequestContext) => Awaitable<KvNamespaceLike>;
}

/** KV refuses an `expirationTtl` below 60 seconds. */
export const KV_MIN_TTL_SECONDS = 60;
/** Not a record (records start with a version, "1|", "2|" or "3."), so every loader reads it as "no session". */
const TOMBSTONE = "0|destroyed";
/** Pages of one user's entries read at most (1,000 keys a page): far beyond any real user. */
const MAX_LIST_PAGES = 20;
/** Rounds of a revoke-all before giving up on a user whose sessions keep appearing faster than they are ended. */
const MAX_REVOKE_ROUNDS = 8;
/** Tombstones written over one session that keeps being written back before giving up on it. */
const MAX_END_ATTEMPTS = 3;

/** What a user's session entry carries in its KV metadata: its line in the session list. */
interface EntryMeta {
  /** createdAt */
  c: number;
  /** seenAt */
  s: number;
  /** expiresAt */
  e: number;
  /** device label */
  d: string;
}

interface UserEntry {
  key: string;
  idHash: string;
  meta: EntryMeta;
}

/**
 * Sessions in Cloudflare Workers KV: cheap reads at the edge, eventually
 * consistent (a logout reaches other locations within about a minute; pick
 * `DurableObjectSessionStore` where that matters).
 *
 * @example
 * ```ts
 * // wrangler.jsonc: "kv_namespaces": [{ "binding": "SESSIONS", "id": "..." }]
 * app.use(session({ store: new KvSessionStore({ getStore: (ctx) => ctx.platform.env.SESSIONS }) }));
 * ```
 */
export class KvSessionStore<Data = SessionData> extends ExternalStore<Data> {
  readonly #getStore: (ctx: RequestContext) => Awaitable<KvNamespaceLike>;

  constructor(options: KvSessionStoreOptions<Data>) {
    super(options, { name: "KvSessionStore", prefix: "session:" });
    if (typeof options?.getStore !== "function") {
      throw new SessionSetupError("KvSessionStore needs `getStore`, a function that returns a KV namespace (ctx.platform.env.SESSIONS).");
    }
    this.#getStore = options.getStore;
  }

  protected async readEntry(id: string, ctx: RequestContext): Promise<StoredEntry<Data> | null> {
    const key = await this.keys.keyOf(id);
    if (key === null) return null;
    const text = await this.#read(ctx, key);
    return text === null ? null : textToRecord(text, this.keys.serializer, Date.now());
  }

  async createRecord(record: SessionRecord<Data>, ctx: RequestContext): Promise<string> {
    const text = this.recordText(record);
    const fresh = await this.keys.newId(record.meta?.user);
    // The entry first: a bound session is never stored without it, so a revoke cannot miss it.
    if (fresh.tag !== undefined) await this.#putEntry(ctx, record, fresh.idHash);
    await this.#write(ctx, fresh.key, text, record.expiresAt);
    return fresh.id;
  }

  /**
   * The record is only updated if it is still alive here: if it was
   * destroyed or expired meanwhile, nothing is written, so that a slow
   * request cannot undo a logout. KV has no conditional write, so this
   * costs one read, and for a session bound to no one a destroy landing
   * between that read and the write can still be overwritten
   * (docs/external-stores.md).
   *
   * A bound session closes that gap against a revoke (or a logout) at this
   * location: its entry is written, the session read again (a tombstone
   * now: the entry is taken back out, nothing more written), the session
   * written, and its entry read again. An entry gone by then was deleted
   * by a revoke that buried the session before this write landed: the
   * session is buried again. The revoke, for its part, reads each session
   * again after deleting its entry (`#end`), so whichever of the two writes
   * last, one of them sees the other.
   */
  async updateRecord(id: string, record: SessionRecord<Data>, ctx: RequestContext): Promise<string | null> {
    const where = await this.keys.locate(id);
    if (where === null) return null;
    const text = this.recordText(record);
    if (!(await this.#liveRecord(ctx, where.key))) return null;
    const user = record.meta?.user;
    if (where.tag === undefined || user === undefined) {
      await this.#write(ctx, where.key, text, record.expiresAt);
      return id;
    }
    const entryKey = this.#entryKey(await this.userHash(user), where.idHash);
    // The entry moves first: its expiry and last-seen follow the session's.
    await this.#putEntry(ctx, record, where.idHash);
    if (!(await this.#liveRecord(ctx, where.key))) {
      await this.#deleteEntry(ctx, entryKey);
      return null;
    }
    await this.#write(ctx, where.key, text, record.expiresAt);
    if ((await this.#read(ctx, entryKey)) === null) {
      await this.#bury(ctx, where.key);
      return null;
    }
    return id;
  }

  /**
   * Overwrites the session with a tombstone that KV clears after a minute,
   * then drops its user's entry (and makes sure it stays ended: `#end`).
   * Read first, to tell whether a live session was there (and whose).
   */
  async destroyRecord(id: string, ctx: RequestContext): Promise<boolean> {
    const where = await this.keys.locate(id);
    if (where === null) return false;
    const live = await this.#liveRecord(ctx, where.key);
    const user = live?.meta?.user;
    if (where.tag !== undefined && user !== undefined) await this.#end(ctx, where.key, this.#entryKey(await this.userHash(user), where.idHash));
    else await this.#bury(ctx, where.key);
    return live !== null;
  }

  /**
   * The user's live sessions: one `list()` of their entries, whose metadata
   * holds everything shown; only the `limit` latest deadlines get a handle.
   */
  protected async listSessionsOf(user: IndexedUser, limit: number, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const now = Date.now();
    const live = (await this.#userEntries(ctx, user.hash)).filter(({ meta }) => meta.e > now);
    const sessions: UserSessionInfo[] = [];
    for (const { idHash, meta } of live.sort((a, b) => b.meta.e - a.meta.e).slice(0, limit)) {
      sessions.push({
        handle: await handleFromIdHash(idHash),
        createdAt: meta.c,
        lastSeenAt: meta.s,
        expiresAt: meta.e,
        device: meta.d,
        current: false,
      });
    }
    return sessions;
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string, ctx: RequestContext | undefined): Promise<void> {
    for (const entry of await this.#userEntries(ctx, user.hash)) {
      if ((await handleFromIdHash(entry.idHash)) !== handle) continue;
      await this.#revokeEntry(ctx, entry, user.tag);
      return;
    }
  }

  /**
   * Ends every listed session of the user but the one named `exceptHandle`,
   * then lists again, until a listing shows no session left to end: a
   * session created or moved meanwhile (at this location) is ended too, and
   * so is one this revoke ended that is live again (written back by a
   * refresh from another location). An entry listed again whose session
   * stays ended (a listing that lags behind the delete) costs a read, not
   * another write.
   */
  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void> {
    const { hash: digest, tag } = user;
    const ended = new Set<string>();
    let kept: string | undefined;
    for (let round = 0; round < MAX_REVOKE_ROUNDS; round++) {
      const now = Date.now();
      const due: UserEntry[] = [];
      for (const entry of await this.#userEntries(ctx, digest)) {
        if (entry.meta.e <= now || entry.idHash === kept) continue;
        if (kept === undefined && exceptHandle !== undefined && (await handleFromIdHash(entry.idHash)) === exceptHandle) {
          kept = entry.idHash;
          continue;
        }
        if (ended.has(entry.idHash) && !(await this.#liveRecord(ctx, this.keys.keyOfHash(entry.idHash, tag)))) continue;
        due.push(entry);
      }
      if (due.length === 0) return;
      await Promise.all(
        due.map(async (entry) => {
          await this.#revokeEntry(ctx, entry, tag);
          ended.add(entry.idHash);
        }),
      );
    }
    throw new SessionStoreUnavailableError(
      `New sessions of this user kept appearing while revoking them (${MAX_REVOKE_ROUNDS} rounds): some may still be live. Retry.`,
    );
  }

  async #liveRecord(ctx: RequestContext | undefined, key: string): Promise<SessionRecord<Data> | null> {
    const current = await this.#read(ctx, key);
    return current === null ? null : (textToRecord(current, this.keys.serializer, Date.now())?.record ?? null);
  }

  async #bury(ctx: RequestContext | undefined, key: string): Promise<void> {
    const store = await this.#getStore(ctx as RequestContext);
    await kvCall("write", () => store.put(key, TOMBSTONE, { expirationTtl: KV_MIN_TTL_SECONDS }));
  }

  async #revokeEntry(ctx: RequestContext | undefined, entry: UserEntry, tag: string): Promise<void> {
    await this.#end(ctx, this.keys.keyOfHash(entry.idHash, tag), entry.key);
  }

  /**
   * Ends a bound session: the session first, then its entry (a failure
   * between leaves an entry naming a dead session, never a live session
   * unlisted), then a read of the session. A refresh that read it live
   * before the tombstone and wrote it after finds its entry still there
   * when it checks before this delete: this read then sees it live, and
   * buries it again (updateRecord's side of the same check).
   */
  async #end(ctx: RequestContext | undefined, sessionKey: string, entryKey: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_END_ATTEMPTS; attempt++) {
      await this.#bury(ctx, sessionKey);
      await this.#deleteEntry(ctx, entryKey);
      if (!(await this.#liveRecord(ctx, sessionKey))) return;
    }
    throw new SessionStoreUnavailableError(
      `A session kept being written back while it was ended (${MAX_END_ATTEMPTS} attempts): it may still be live. Retry.`,
    );
  }

  #entryPrefix(digest: string): string {
    return `${this.keys.prefix}user:${digest}:`;
  }

  #entryKey(digest: string, idHash: string): string {
    return this.#entryPrefix(digest) + idHash;
  }

  /** Writes (or moves) the entry of a bound session, expiring with it. */
  async #putEntry(ctx: RequestContext, record: SessionRecord<Data>, idHash: string): Promise<void> {
    const user = record.meta?.user;
    if (user === undefined) return;
    const meta: EntryMeta = {
      c: record.createdAt,
      s: record.meta?.seenAt ?? record.createdAt,
      e: record.expiresAt,
      d: record.meta?.agent ?? "Unknown device",
    };
    const store = await this.#getStore(ctx);
    const key = this.#entryKey(await this.userHash(user), idHash);
    await kvCall("write", () => store.put(key, "", { expirationTtl: kvTtl(record.expiresAt), metadata: meta }));
  }

  async #deleteEntry(ctx: RequestContext | undefined, key: string): Promise<void> {
    const store = await this.#getStore(ctx as RequestContext);
    await kvCall("write", () => store.delete(key));
  }

  /** Every entry under the user's prefix, expired ones included; entries that are not ours (bad name or metadata) are skipped. */
  async #userEntries(ctx: RequestContext | undefined, digest: string): Promise<UserEntry[]> {
    const store = await this.#getStore(ctx as RequestContext);
    const prefix = this.#entryPrefix(digest);
    const entries: UserEntry[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed: KvListPage = await kvCall("read", () => store.list(cursor === undefined ? { prefix } : { prefix, cursor }));
      for (const { name, metadata } of listed?.keys ?? []) {
        const idHash = name.slice(prefix.length);
        const meta = entryMeta(metadata);
        if (name.startsWith(prefix) && isIdHash(idHash) && meta) entries.push({ key: name, idHash, meta });
      }
      if (listed?.list_complete !== false || !listed.cursor) break;
      cursor = listed.cursor;
    }
    return entries;
  }

  async #read(ctx: RequestContext | undefined, key: string): Promise<string | null> {
    const store = await this.#getStore(ctx as RequestContext);
    const value = await kvCall("read", () => store.get(key));
    return typeof value === "string" ? value : null;
  }

  async #write(ctx: RequestContext, key: string, text: string, expiresAt: number): Promise<void> {
    const store = await this.#getStore(ctx);
    await kvCall("write", () => store.put(key, text, { expirationTtl: kvTtl(expiresAt) }));
  }
}

/**
 * KV's TTL for something that must live until `expiresAt`: never below
 * KV's minimum, and one second more than the time left, since KV counts
 * the expiry from the whole second it is in (a user's entry that expired
 * before its session's deadline would unlist a live session).
 */
function kvTtl(expiresAt: number): number {
  return Math.max(KV_MIN_TTL_SECONDS, Math.ceil((expiresAt - Date.now()) / 1000) + 1);
}

const MAX_DEVICE_LENGTH = 100;

/** An entry's metadata, checked field by field; `null` for anything else. */
function entryMeta(value: unknown): EntryMeta | null {
  if (typeof value !== "object" || value === null) return null;
  const { c, s, e, d } = value as Partial<Record<keyof EntryMeta, unknown>>;
  const isTime = (time: unknown): time is number => typeof time === "number" && Number.isSafeInteger(time) && time >= 0;
  if (!isTime(c) || !isTime(s) || !isTime(e) || typeof d !== "string" || d.length > MAX_DEVICE_LENGTH) return null;
  return { c, s, e, d };
}

async function kvCall<T>(what: "read" | "write", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = what === "write" ? " KV allows about one write per second to a key." : "";
    throw new SessionStoreUnavailableError(`Workers KV failed a session ${what}: ${reason}.${hint} Retry later.`, {
      cause: error,
    });
  }
}
