/**
 * A Netlify scheduled function: once a day, deletes the sessions in Blobs
 * that expired and that nobody read again (a read that meets an expired
 * session deletes it already; Blobs itself has no TTL), and the users'
 * activity logs whose newest entry is past the age they keep. It runs on
 * Netlify's Node runtime, beside the edge function, on the same stores.
 */
import { NetlifyBlobsSessionStore } from "hattip-session";
import { BlobsActivityStorage, sessionsBlobs } from "../../src/sessions-blobs.ts";

export default async function cleanSessions(): Promise<void> {
  const store = new NetlifyBlobsSessionStore({ getStore: sessionsBlobs });
  const deleted = await store.deleteExpired();
  const deletedLogs = await new BlobsActivityStorage().deleteExpired();
  console.log(`clean-sessions: deleted ${deleted} expired session(s) and ${deletedLogs} expired activity log(s).`);
}

export const config = { schedule: "@daily" };
