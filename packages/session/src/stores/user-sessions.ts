/**
 * How a stored record appears in a user's session list, and how long that
 * list may get. The server-side stores that index users by a routing tag
 * or a hashed column re-check the record's own `meta.user`, so that two
 * users whose tags collide never see or end each other's sessions.
 */
import type { SessionRecord, UserSessionInfo } from "../types.js";

/**
 * The most sessions `listUserSessions()` (and `ctx.session.listSessions()`)
 * returns for one user: the ones whose deadlines are latest, which, with
 * rolling refresh, are the ones used most recently. A list is for a person
 * to read and act on; a user with more sessions than this (a script that
 * signs in on every run) still has every one of them ended by
 * `revokeUserSessions()`, which has no such limit.
 */
export const MAX_LISTED_USER_SESSIONS = 100;

/** The listing entry of `record`, or `null` when the record is not bound to `userId`. */
export function userSessionInfo(userId: string, handle: string, record: SessionRecord<unknown>): UserSessionInfo | null {
  const { createdAt, expiresAt, meta } = record;
  if (meta?.user !== userId) return null;
  return {
    handle,
    createdAt,
    lastSeenAt: meta.seenAt ?? createdAt,
    expiresAt,
    device: meta.agent ?? "Unknown device",
    current: false,
  };
}

/** The `limit` sessions with the latest deadlines, oldest first, as `listUserSessions` promises. */
export function latestListed(sessions: UserSessionInfo[], limit: number): UserSessionInfo[] {
  const kept = sessions.length > limit ? sessions.sort((a, b) => b.expiresAt - a.expiresAt).slice(0, limit) : sessions;
  return kept.sort((a, b) => a.createdAt - b.createdAt);
}
