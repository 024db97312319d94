/**
 * Lifecycle events, for an audit log or an alert: what they carry, and how
 * they reach the app's listeners. An event names a session by its public
 * handle (as `listSessions()` shows it), never by its ID, cookie value or
 * data. A listener cannot break or hold up a response: it is called
 * without being awaited, what it throws is reported (once per listener by
 * default) and what it returns is handed to `ctx.waitUntil` where the
 * platform has one.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError } from "./errors.js";

/** A call to a store, in the vocabulary of the store contract. */
export type StoreOperation = "load" | "create" | "update" | "rotate" | "destroy" | "list" | "revoke";

/**
 * Why a session cookie was not taken (or, for `too_large`, not sent):
 *
 * - `malformed`: not shaped like a value this store makes (a cut or mangled
 *   cookie, chunks that do not add up, an ID `validateId` rejects);
 * - `unknown_key`: sealed or signed by a key that is not in the store's key
 *   list (a key removed after a rotation);
 * - `tampered`: names a key of the list but fails its check: edited, made
 *   for another cookie name, or forged;
 * - `expired`: past its idle deadline or the absolute lifetime;
 * - `unknown_session`: a server-side store has no live session under that
 *   ID (it expired, was destroyed or revoked, or its record is unreadable);
 * - `schema_rejected`: the data loaded fine and the `schema` refused it;
 * - `too_large`: the session written would not fit in the cookie (the
 *   request then fails with `SessionTooLargeError`);
 * - `refused`: a store of your own answered nothing and cannot say why.
 */
export type CookieRefusalReason =
  | "malformed"
  | "unknown_key"
  | "tampered"
  | "expired"
  | "unknown_session"
  | "schema_rejected"
  | "too_large"
  | "refused";

/** What every event carries. */
interface EventBase<Type extends string> {
  readonly type: Type;
  /** When it happened, in ms since the epoch. */
  readonly at: number;
  /** The store's class name ("RedisSessionStore", "EncryptedCookieStore", ...). */
  readonly store: string;
  /** The session's cookie name (its `cookieName`), or `undefined` for a store method the app called itself. */
  readonly cookieName: string | undefined;
}

/**
 * A new session was stored and its cookie sent: a first write for a
 * visitor, or a `regenerate()`/`bindUser()` on a request that had no live
 * session. Not for a rotation (that is `rotated`).
 *
 * @example
 * ```ts
 * session({ store, events: { created: (event) => console.log("new session", event.handle ?? "(in a cookie)") } })
 * ```
 */
export interface SessionCreatedEvent extends EventBase<"created"> {
  /** The new session's handle; `undefined` in a cookie store, whose sessions have none. */
  readonly handle: string | undefined;
  /** The user it is bound to, if `bindUser()` was called. */
  readonly userId: string | undefined;
}

/**
 * A live session moved to a new ID (`regenerate()`, or `bindUser()`,
 * which regenerates), its old ID destroyed, and the new cookie sent. Not
 * when the old session had been ended meanwhile: then nothing is written.
 *
 * @example
 * ```ts
 * session({ store, events: { rotated: (event) => console.log(`${event.previousHandle} is now ${event.handle}`) } })
 * ```
 */
export interface SessionRotatedEvent extends EventBase<"rotated"> {
  /** The session's new handle (`undefined` in a cookie store). */
  readonly handle: string | undefined;
  /** Its handle before the rotation. */
  readonly previousHandle: string | undefined;
  readonly userId: string | undefined;
}

/**
 * `ctx.session.destroy()` ended a live session: the store removed it (a
 * server-side store found it still there) and the cookie was cleared. Not
 * for a request whose cookie named no live session.
 *
 * @example
 * ```ts
 * session({ store, events: { destroyed: (event) => event.userId && console.log(`${event.userId} signed out`) } })
 * ```
 */
export interface SessionDestroyedEvent extends EventBase<"destroyed"> {
  readonly handle: string | undefined;
  /** The user the session was bound to, if any. */
  readonly userId: string | undefined;
  /** The label of the device it was bound on ("Firefox on Linux"), as `listSessions()` shows it; `undefined` if it was not bound. */
  readonly device: string | undefined;
}

/**
 * `bindUser(userId)` was called and the session was stored bound to that
 * user (a sign-in), with its new ID and cookie. Comes after `created` or
 * `rotated`, which say which.
 *
 * @example
 * ```ts
 * session({ store, events: { bound: (event) => console.log(`${event.userId} signed in on ${event.handle}`) } })
 * ```
 */
export interface SessionBoundEvent extends EventBase<"bound"> {
  readonly handle: string | undefined;
  /** The user ID the app gave to `bindUser()`. */
  readonly userId: string;
  /** A label of the device signing in ("Safari on iPhone"), as `listSessions()` will show it. */
  readonly device: string;
}

/**
 * A store carried out a revoke of a user's sessions: one device
 * (`revokeSession(handle)`, `revokeUserSession`), every other one
 * (`revokeOtherSessions()`, `revokeUserSessions` with a handle to keep) or
 * all (`revokeUserSessions`). The stores answer a handle that names none
 * of the user's sessions the same way as one that does (no oracle), so a
 * `one` revoke is reported as asked. A handle not even shaped like one
 * ends nothing and is not reported.
 *
 * @example
 * ```ts
 * session({
 *   store,
 *   events: {
 *     revoked: (event) =>
 *       console.log(`${event.userId}: ${event.scope} revoked by ${event.requestedBy.kind === "session" ? event.requestedBy.handle : "the app"}`),
 *   },
 * })
 * ```
 */
export interface SessionRevokedEvent extends EventBase<"revoked"> {
  /** Whose sessions. */
  readonly userId: string;
  /** `one` device, all `others` than `keptHandle`, or `all`. */
  readonly scope: "one" | "others" | "all";
  /** For `one`: the handle that was named. */
  readonly handle: string | undefined;
  /** For `others`: the handle of the session kept. */
  readonly keptHandle: string | undefined;
  /**
   * Who asked: a session, through `ctx.session.revokeSession()` or
   * `revokeOtherSessions()` (its handle), or the app, calling the store's
   * method itself (a password-reset job, an admin page; the listener gets
   * the request context when the call passed one).
   */
  readonly requestedBy: { readonly kind: "session"; readonly handle: string | undefined } | { readonly kind: "app" };
}

/**
 * `markAuthenticated()` was called and stored: the user proved who they
 * are (at sign-in, or re-entering a password for sudo mode).
 *
 * @example
 * ```ts
 * session({ store, events: { sudoConfirmed: (event) => console.log(`${event.userId ?? "someone"} confirmed at ${new Date(event.at)}`) } })
 * ```
 */
export interface SessionSudoConfirmedEvent extends EventBase<"sudoConfirmed"> {
  readonly handle: string | undefined;
  readonly userId: string | undefined;
}

/**
 * A request's session cookie was refused (the request goes on with a fresh
 * session), or a session was too large to send. A burst of `unknown_key`
 * after a deploy says a key was removed too early; of `tampered`, that
 * someone is trying cookies.
 *
 * @example
 * ```ts
 * session({ store, events: { cookieRefused: (event) => event.reason === "unknown_key" && console.warn("a cookie from a removed key") } })
 * ```
 */
export interface SessionCookieRefusedEvent extends EventBase<"cookieRefused"> {
  readonly reason: CookieRefusalReason;
  /**
   * The handle of the session the cookie named, for a server-side store and
   * a well-formed ID (`unknown_session`, `expired`, `schema_rejected`).
   */
  readonly handle: string | undefined;
}

/**
 * A store call failed with `SessionStoreUnavailableError` (the backend is
 * down, slow past its `timeout`, or could not make a write durable).
 *
 * @example
 * ```ts
 * session({ store, events: { storeUnavailable: (event) => console.error(`${event.store} ${event.operation}: ${event.cause ?? event.code}`) } })
 * ```
 */
export interface SessionStoreUnavailableEvent extends EventBase<"storeUnavailable"> {
  readonly operation: StoreOperation;
  /** The error's code: `ERR_SESSION_STORE_UNAVAILABLE`. */
  readonly code: string;
  /**
   * What the backend said, when it said it with a code: `timeout` for no
   * answer in time, or the driver's code (`ECONNREFUSED`, a PostgreSQL
   * SQLSTATE such as `57P01`).
   */
  readonly cause: string | undefined;
}

/** Every event, told apart by `type`. */
export type SessionEvent =
  | SessionCreatedEvent
  | SessionRotatedEvent
  | SessionDestroyedEvent
  | SessionBoundEvent
  | SessionRevokedEvent
  | SessionSudoConfirmedEvent
  | SessionCookieRefusedEvent
  | SessionStoreUnavailableEvent;

export type SessionEventType = SessionEvent["type"];

/** The event of one type. */
export type SessionEventOf<Type extends SessionEventType> = Extract<SessionEvent, { type: Type }>;

/**
 * A listener: gets the event and the request context when there is one
 * (never inside the event, so that logging an event whole cannot log a
 * cookie). It may return a promise: it is not awaited.
 */
export type SessionEventListener<Event extends SessionEvent = SessionEvent> = (event: Event, ctx: RequestContext | undefined) => unknown;

/**
 * Listeners by event type, and `any` for every event. Give the same object
 * to `session()` and to a server-side store: each event reaches it once.
 *
 * @example
 * ```ts
 * const audit: SessionEventListeners = {
 *   bound: (event) => log("sign-in", event.userId, event.handle),
 *   revoked: (event) => log("revoke", event.userId, event.scope),
 *   onListenerError: (error, event) => console.error(`audit listener failed on ${event.type}`, error),
 * };
 * app.use(session({ store, events: audit }));
 * ```
 */
export type SessionEventListeners = {
  readonly [Type in SessionEventType]?: SessionEventListener<SessionEventOf<Type>>;
} & {
  /** Every event, after the listener of its type. */
  readonly any?: SessionEventListener;
  /**
   * Where a listener's error (thrown, or its promise rejected) goes.
   * @default console.error, once per listener (its later errors are dropped, so a broken listener cannot flood the log)
   */
  readonly onListenerError?: (error: unknown, event: SessionEvent) => void;
};

type Listener = (event: SessionEvent, ctx: RequestContext | undefined) => unknown;

/** Listeners whose first error was already written to the console. */
const reported = new WeakSet<object>();

/** Delivers events to listener objects, each once. */
export class EventSink {
  private constructor(readonly targets: readonly SessionEventListeners[]) {}

  /** A sink for `listeners`, or `undefined` when none were given. */
  static of(listeners: SessionEventListeners | undefined, owner: string): EventSink | undefined {
    if (listeners === undefined) return undefined;
    if (typeof listeners !== "object" || listeners === null) {
      throw new SessionSetupError(`${owner} \`events\` must be an object of listeners by event type ({ created, revoked, ... }).`);
    }
    return new EventSink([listeners]);
  }

  /** The listeners of `a` and of `b`, an object given to both only once. */
  static both(a: EventSink | undefined, b: EventSink | undefined): EventSink | undefined {
    if (!a || !b) return a ?? b;
    const added = b.targets.filter((target) => !a.targets.includes(target));
    return added.length === 0 ? a : new EventSink([...a.targets, ...added]);
  }

  emit(event: SessionEvent, ctx: RequestContext | undefined): void {
    Object.freeze(event);
    for (const target of this.targets) {
      deliver(target, target[event.type] as Listener | undefined, event, ctx);
      deliver(target, target.any, event, ctx);
    }
  }
}

function deliver(target: SessionEventListeners, listener: Listener | undefined, event: SessionEvent, ctx: RequestContext | undefined): void {
  if (typeof listener !== "function") return;
  let result: unknown;
  try {
    result = listener.call(target, event, ctx);
  } catch (error) {
    report(target, listener, error, event);
    return;
  }
  if (typeof (result as { then?: unknown } | null)?.then !== "function") return;
  const settled = Promise.resolve(result).then(undefined, (error: unknown) => report(target, listener, error, event));
  // The platform keeps the listener's work alive after the response (Workers cancel a request's tasks otherwise).
  if (typeof ctx?.waitUntil === "function") {
    try {
      ctx.waitUntil(settled);
    } catch {
      // A waitUntil that refuses (some platforms, once the response is out) leaves the work to finish on its own.
    }
  }
}

function report(target: SessionEventListeners, listener: Listener, error: unknown, event: SessionEvent): void {
  const { onListenerError } = target;
  if (typeof onListenerError === "function") {
    try {
      onListenerError.call(target, error, event);
    } catch {
      // The last resort failed too: nothing is left to tell, and the response must not suffer.
    }
    return;
  }
  if (reported.has(listener)) return;
  reported.add(listener);
  console.error(`hattip-session: a "${event.type}" event listener failed (its later errors are not logged):`, error);
}
