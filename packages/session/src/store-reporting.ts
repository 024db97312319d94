/**
 * What a store tells the session layer beyond the store contract, under
 * `Symbol.for` keys (so that two copies of the package understand each
 * other): the telemetry it was given, why it refused a cookie, and its
 * user index with answers that say what a revoke did. Also the one way a
 * user index is reported, whether the app calls the store or a session
 * does. Nothing here runs unless events, a tracer or a meter were given.
 */
import type { RequestContext } from "@hattip/compose";
import type { CookieRefusalReason, SessionRevokedEvent } from "./events.js";
import type { Telemetry } from "./telemetry.js";
import type { Awaitable, SessionScope, UserSessionIndex, UserSessionInfo } from "./types.js";

/** A server-side store's own `Telemetry` (from its `events`, `tracer` and `meter` options), or `undefined`. */
export const STORE_TELEMETRY: unique symbol = Symbol.for("hattip-session/store-telemetry") as never;
/** A store's user index, unreported, with revokes that say what they did (`UnreportedUserIndex`). */
export const UNREPORTED_USER_INDEX: unique symbol = Symbol.for("hattip-session/unreported-user-index") as never;
/** `(value, scope) => Promise<CookieRefusalReason>`: why `loadEntry` answered `null` for `value`. */
export const EXPLAIN_REFUSAL: unique symbol = Symbol.for("hattip-session/explain-refusal") as never;

/** A user index whose revokes tell what they asked of the store, for the `revoked` event. */
export interface UnreportedUserIndex {
  list(userId: string, ctx: RequestContext | undefined): Promise<UserSessionInfo[]>;
  /** `false` when `handle` is not shaped like one: nothing was asked of the store. */
  revokeOne(userId: string, handle: string, ctx: RequestContext | undefined): Promise<boolean>;
  /** The handle kept, as the store took it (one not shaped like a handle keeps nothing). */
  revokeAll(userId: string, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<string | undefined>;
  sessionHandle(sessionId: string): Promise<string>;
}

/** Who a reported user index reports as, and to what. */
export interface UserIndexReporter {
  readonly telemetry: Telemetry;
  readonly store: string;
  readonly cookieName: string | undefined;
  requestedBy(ctx: RequestContext | undefined): Awaitable<SessionRevokedEvent["requestedBy"]>;
}

/** `index` as the public `UserSessionIndex`, each call observed and each revoke reported. */
export function reportedUserIndex(index: UnreportedUserIndex, reporter: UserIndexReporter): UserSessionIndex {
  const { telemetry, store, cookieName } = reporter;
  const site = (ctx: RequestContext | undefined, operation: "list" | "revoke") => ({ store, operation, ctx, cookieName });
  return {
    listUserSessions: (userId, ctx) => telemetry.call(site(ctx, "list"), () => index.list(userId, ctx), listed),
    async revokeUserSession(userId, handle, ctx) {
      const asked = await telemetry.call(site(ctx, "revoke"), () => index.revokeOne(userId, handle, ctx), revokedOrIgnored);
      if (!asked) return;
      const requestedBy = await reporter.requestedBy(ctx);
      telemetry.revoked({ store, cookieName, userId, scope: "one", handle, keptHandle: undefined, requestedBy }, ctx);
    },
    async revokeUserSessions(userId, ctx, exceptHandle) {
      const kept = await telemetry.call(site(ctx, "revoke"), () => index.revokeAll(userId, exceptHandle, ctx), revoked);
      const requestedBy = await reporter.requestedBy(ctx);
      telemetry.revoked(
        { store, cookieName, userId, scope: kept === undefined ? "all" : "others", handle: undefined, keptHandle: kept, requestedBy },
        ctx,
      );
    },
    sessionHandle: (sessionId) => index.sessionHandle(sessionId),
  };
}

/** The unreported index of `users`: the store's own, or the public methods of a store of your own, taken at their word. */
export function unreportedUserIndexOf(users: UserSessionIndex): UnreportedUserIndex {
  const own = (users as Partial<Record<typeof UNREPORTED_USER_INDEX, UnreportedUserIndex>>)[UNREPORTED_USER_INDEX];
  if (own) return own;
  return {
    list: (userId, ctx) => users.listUserSessions(userId, ctx),
    async revokeOne(userId, handle, ctx) {
      await users.revokeUserSession(userId, handle, ctx);
      return true;
    },
    async revokeAll(userId, exceptHandle, ctx) {
      await users.revokeUserSessions(userId, ctx, exceptHandle);
      return exceptHandle;
    },
    sessionHandle: (sessionId) => users.sessionHandle(sessionId),
  };
}

/** The telemetry a store was given itself, if any. */
export function storeTelemetryOf(store: object): Telemetry | undefined {
  return (store as Partial<Record<typeof STORE_TELEMETRY, Telemetry>>)[STORE_TELEMETRY];
}

/** Why `store` refused `value`: its own answer, or `refused` for a store that cannot say. */
export async function refusalOf(store: object, value: string, scope: SessionScope): Promise<CookieRefusalReason> {
  const explain = (store as Partial<Record<typeof EXPLAIN_REFUSAL, (value: string, scope: SessionScope) => Promise<CookieRefusalReason>>>)[
    EXPLAIN_REFUSAL
  ];
  if (typeof explain !== "function") return "refused";
  try {
    return await explain.call(store, value, scope);
  } catch {
    return "refused";
  }
}

/** The store's class name as it gives it (a minified bundle renames classes), else its constructor's. */
export function storeNameOf(store: object): string {
  const given = (store as { storeName?: unknown }).storeName;
  if (typeof given === "string") return given;
  return (store.constructor as { name?: string } | undefined)?.name || "SessionStore";
}

const listed = () => "listed";
const revoked = () => "revoked";
const revokedOrIgnored = (asked: boolean) => (asked ? "revoked" : "ignored");
