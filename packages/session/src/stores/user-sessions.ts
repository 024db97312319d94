/**
 * How a stored record appears in a user's session list. The server-side
 * stores that index users by a routing tag or a hashed column re-check the
 * record's own `meta.user`, so that two users whose tags collide never see
 * or end each other's sessions.
 */
import type { SessionRecord, UserSessionInfo } from "../types.js";

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

/** Oldest first, as `listUserSessions` promises. */
export function oldestFirst(sessions: UserSessionInfo[]): UserSessionInfo[] {
  return sessions.sort((a, b) => a.createdAt - b.createdAt);
}
