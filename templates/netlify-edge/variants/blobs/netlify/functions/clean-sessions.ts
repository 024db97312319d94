/**
 * A Netlify scheduled function: once a day, deletes the sessions in Blobs
 * that expired and that nobody read again (a read that meets an expired
 * session deletes it already; Blobs itself has no TTL). It runs on
 * Netlify's Node runtime, beside the edge function, on the same store.
 */
import { NetlifyBlobsSessionStore } from "hattip-session";
import { sessionsBlobs } from "../../src/sessions-blobs.ts";

export default async function cleanSessions(): Promise<void> {
  const store = new NetlifyBlobsSessionStore({ getStore: sessionsBlobs });
  const deleted = await store.deleteExpired();
  console.log(`clean-sessions: deleted ${deleted} expired session(s).`);
}

export const config = { schedule: "@daily" };
