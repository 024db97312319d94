/**
 * The Blobs store that holds the login sessions: one site-wide store, read
 * with strong consistency so that a logout holds at once everywhere. Shared
 * by the edge function and the daily clean-up function.
 */
import { getStore } from "@netlify/blobs";

export const SESSIONS_STORE = "sessions";

export function sessionsBlobs() {
  return getStore({ name: SESSIONS_STORE, consistency: "strong" });
}
