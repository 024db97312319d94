/**
 * What the end of a request does to its session, as one pure function of
 * what the request brought, what the handler asked for and the clock. The
 * middleware only carries the decision out, so every rule lives here and is
 * tested case by case:
 *
 * - `destroy()` wins over everything, in any order: the request ends with
 *   no session (the old ID destroyed, the cookie cleared);
 * - `regenerate()` (or binding a user) moves a live session to a new ID,
 *   destroying the old one; the store refuses if the old one was ended
 *   meanwhile, so a regenerate never resurrects;
 * - otherwise a session is written only when it changed, or when its
 *   rolling refresh is due, and never for a visitor whose session is
 *   untouched.
 */
import type { LifetimePolicy } from "./lifetime.js";
import type { SessionMeta, SessionRecord } from "./types.js";

/** What the request brought and what its handler did. */
export interface RequestOutcome<Data> {
  /** The session ID (or cookie value) the request carried, if any. */
  id: string | undefined;
  /** The live session it named, or `null` (no ID, unknown, expired, invalid). */
  loaded: SessionRecord<Data> | null;
  destroyed: boolean;
  /** `regenerate()` was called, or the session was bound to a user. */
  regenerated: boolean;
  /** The data or the metadata differ from what was loaded (or from the defaults). */
  changed: boolean;
  /** `false` for a store that keeps no timestamps: no rolling refresh then. */
  keepsRecords: boolean;
  /** What the session holds now. */
  data: Data;
  meta: SessionMeta;
  now: number;
}

/** What to do, as a union: exactly one of these ends every request. */
export type EndOfRequest<Data> =
  /** No store call, no Set-Cookie. */
  | { action: "leave" }
  /** Destroy session `id` in the store and clear the cookie. */
  | { action: "destroy"; id: string }
  /** Store a new session and send its ID. */
  | { action: "create"; record: SessionRecord<Data> }
  /** Update the session `id` if it still exists and send the ID back; drop the write if it is gone. */
  | { action: "update"; id: string; record: SessionRecord<Data> }
  /** Rotate session `id`: destroy it, then store the session under a new ID, unless `id` was already gone. */
  | { action: "rotate"; id: string; record: SessionRecord<Data> };

export function decideEndOfRequest<Data>(outcome: RequestOutcome<Data>, lifetime: LifetimePolicy): EndOfRequest<Data> {
  const { id, loaded, now } = outcome;
  if (outcome.destroyed) {
    // Destroyed even when it loaded nothing: a record the schema refused is still the user's to end.
    return id === undefined ? { action: "leave" } : { action: "destroy", id };
  }
  const fresh = (): SessionRecord<Data> => record(outcome, now, lifetime.expiresAt(now, now));
  if (outcome.regenerated) {
    return loaded && id !== undefined ? { action: "rotate", id, record: fresh() } : { action: "create", record: fresh() };
  }
  if (!loaded || id === undefined) return outcome.changed ? { action: "create", record: fresh() } : { action: "leave" };
  if (outcome.changed || (outcome.keepsRecords && lifetime.isRefreshDue(loaded, now))) {
    return { action: "update", id, record: record(outcome, loaded.createdAt, lifetime.expiresAt(loaded.createdAt, now)) };
  }
  return { action: "leave" };
}

function record<Data>(outcome: RequestOutcome<Data>, createdAt: number, expiresAt: number): SessionRecord<Data> {
  // "Last seen" is only ever shown in a user's session list, so only a bound session pays for it.
  const meta = outcome.meta.user === undefined ? outcome.meta : { ...outcome.meta, seenAt: outcome.now };
  return { data: outcome.data, createdAt, expiresAt, meta };
}
