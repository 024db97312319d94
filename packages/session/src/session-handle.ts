/**
 * What a handler holds as `ctx.session`: the data, and the requests it can
 * make (regenerate, destroy, flash, bind a user, mark a fresh sign-in). It
 * only records those requests; the middleware decides at the end of the
 * request (decision.ts) what they add up to. Listing and revoking a user's
 * sessions act at once, through the store's per-user index.
 */
import type { RequestContext } from "@hattip/compose";
import { deviceLabel } from "./device-label.js";
import { SessionUnsupportedError } from "./errors.js";
import { FlashState } from "./flash.js";
import type { RecordAccess } from "./record-access.js";
import type { Session, SessionMeta, UserSessionIndex, UserSessionInfo } from "./types.js";

const MAX_USER_ID_LENGTH = 512;

/** What a request loaded: the data, its metadata, and the ID it loaded them with (none for a fresh session). */
export interface LoadedSession<Data> {
  data: Data;
  meta: SessionMeta | undefined;
  loadedId: string | undefined;
}

export class SessionHandle<Data> implements Session<Data, Record<string, unknown>> {
  data: Data;
  #destroyed = false;
  #regenerated = false;
  /** `bindUser()` was called: the `bound` event's cue, since binding the user a session already had changes no field. */
  #userBound = false;
  /** Binding or sign-in time changed: the session must be written even if its data did not. */
  #metaChanged = false;
  /** The metadata as loaded; copied into #changedMeta on the first change, so a read-only request allocates nothing. */
  #loadedMeta: SessionMeta;
  #changedMeta: SessionMeta | undefined;
  #flashState: FlashState | undefined;
  readonly #ctx: RequestContext;
  readonly #store: RecordAccess<Data>;
  /** The ID the request loaded its session with, if it loaded one. */
  #loadedId: string | undefined;
  /** The middleware's answer to verify() for a session from a cached copy: a store read. */
  readonly #verifyWithStore: (() => Promise<boolean>) | undefined;

  /**
   * `verifyWithStore` is given for a session loaded from a cached copy; any
   * other was read from the store already, so it is live if it loaded.
   * Positional, not an options object: one is made per request.
   */
  constructor(
    data: Data,
    meta: SessionMeta | undefined,
    loadedId: string | undefined,
    ctx: RequestContext,
    store: RecordAccess<Data>,
    verifyWithStore?: () => Promise<boolean>,
  ) {
    this.data = data;
    this.#loadedMeta = meta ?? {};
    this.#ctx = ctx;
    this.#store = store;
    this.#loadedId = loadedId;
    this.#verifyWithStore = verifyWithStore;
  }

  get isFresh(): boolean {
    return this.#loadedId === undefined;
  }

  /** Starts over from what the store holds (`verify()` found the cached copy behind it, or the session gone). */
  reload(loaded: LoadedSession<Data>): void {
    this.data = loaded.data;
    this.#loadedMeta = loaded.meta ?? {};
    this.#changedMeta = undefined;
    this.#flashState = undefined;
    this.#metaChanged = false;
    this.#loadedId = loaded.loadedId;
  }

  verify(): Promise<boolean> {
    return this.#verifyWithStore ? this.#verifyWithStore() : Promise.resolve(this.#loadedId !== undefined);
  }

  /** The metadata to store at the end of the request. */
  nextMeta(): SessionMeta {
    if (!this.metaDirty) return this.#loadedMeta;
    const { flash: _previous, seenAt: _seenAt, ...rest } = this.#meta;
    const flash = this.#flash.next();
    return flash === undefined ? rest : { ...rest, flash };
  }

  /** `true` when flash values were set or read, or the binding or sign-in time changed. */
  get metaDirty(): boolean {
    return this.#metaChanged || this.#flashState?.dirty === true;
  }

  get #meta(): SessionMeta {
    return this.#changedMeta ?? this.#loadedMeta;
  }

  /** The metadata to change: a copy of what was loaded, made once. */
  #editableMeta(): SessionMeta {
    this.#metaChanged = true;
    return (this.#changedMeta ??= { ...this.#loadedMeta });
  }

  get #flash(): FlashState {
    return (this.#flashState ??= new FlashState(this.#loadedMeta.flash));
  }

  /** `destroy()` was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** `bindUser()` was called. */
  get userBound(): boolean {
    return this.#userBound;
  }

  /** `regenerate()` or `bindUser()` was called. */
  get regenerated(): boolean {
    return this.#regenerated;
  }

  async regenerate(): Promise<void> {
    this.#regenerated = true;
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
  }

  flash(key: string, value: unknown): void {
    this.#requireRecords("flash()");
    this.#flash.set(key, value);
  }

  getFlash(key: string): unknown {
    return this.#flash.take(key);
  }

  get authenticatedAt(): number | undefined {
    return this.#store.clientEditable ? undefined : this.#meta.authAt;
  }

  markAuthenticated(): void {
    this.#requireRecords("markAuthenticated()");
    this.#requireTamperProof("markAuthenticated()");
    this.#editableMeta().authAt = Date.now();
  }

  authenticatedWithin(seconds: number): boolean {
    if (typeof seconds !== "number" || !(seconds >= 0)) throw new TypeError("authenticatedWithin(seconds) needs a number of seconds, 0 or more.");
    const at = this.authenticatedAt;
    return at !== undefined && Date.now() - at <= seconds * 1000;
  }

  get userId(): string | undefined {
    return this.#store.clientEditable ? undefined : this.#meta.user;
  }

  bindUser(userId: string): void {
    this.#requireRecords("bindUser()");
    this.#requireTamperProof("bindUser()");
    if (typeof userId !== "string" || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
      throw new TypeError(`bindUser(userId) needs a non-empty string of at most ${MAX_USER_ID_LENGTH} characters.`);
    }
    // A server store that cannot tag the user's sessions (no userTagSecret) says so now, not after the handler's work.
    this.#store.users?.assertCanBindUsers?.();
    const meta = this.#editableMeta();
    meta.user = userId;
    meta.agent = deviceLabel(this.#ctx.request.headers.get("user-agent"));
    // A change of privilege: a new ID, as regenerate() gives.
    this.#regenerated = true;
    this.#userBound = true;
  }

  async listSessions(): Promise<UserSessionInfo[]> {
    const users = this.#users("listSessions()");
    // A cached copy may outlive a revocation: what concerns the user's other sessions asks the store first.
    await this.verify();
    const userId = this.#meta.user;
    if (userId === undefined) return [];
    const [sessions, current] = await Promise.all([users.listUserSessions(userId, this.#ctx), this.#currentHandle(users)]);
    return sessions.map((session) => ({ ...session, current: session.handle === current }));
  }

  async revokeSession(handle: string): Promise<void> {
    const users = this.#users("revokeSession()");
    await this.verify();
    const userId = this.#meta.user;
    // Whatever the handle, the same quiet answer: no oracle for handles of other users.
    if (userId === undefined || typeof handle !== "string") return;
    await users.revokeUserSession(userId, handle, this.#ctx);
  }

  async revokeOtherSessions(): Promise<void> {
    const users = this.#users("revokeOtherSessions()");
    await this.verify();
    const userId = this.#meta.user;
    if (userId === undefined) return;
    await users.revokeUserSessions(userId, this.#ctx, await this.#currentHandle(users));
  }

  async #currentHandle(users: UserSessionIndex): Promise<string | undefined> {
    return this.#loadedId === undefined ? undefined : users.sessionHandle(this.#loadedId);
  }

  #users(method: string): UserSessionIndex {
    const { users } = this.#store;
    if (users) return users;
    throw new SessionUnsupportedError(
      `${method} needs a server-side store with a per-user index (UnsafeMemoryStore, RedisSessionStore, KvSessionStore, ...). ` +
        "Cookie stores keep sessions only in browsers, so they cannot list or revoke them.",
    );
  }

  #requireTamperProof(method: string): void {
    if (!this.#store.clientEditable) return;
    throw new SessionUnsupportedError(
      `${method} in an UnsignedCookieStore would let the client forge it: keep sign-in state in a server-side, signed or encrypted store.`,
    );
  }

  #requireRecords(method: string): void {
    if (this.#store.keepsRecords) return;
    throw new SessionUnsupportedError(
      `${method} needs a store that keeps session records (loadRecord/saveRecord); every bundled store does, a store written for @hattip/session may not.`,
    );
  }
}
