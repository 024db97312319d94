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

/** Whether `call` succeeds within `ms`: the Blobs client retries a failed call for some 25 s on its own, /health answers sooner. */
export async function answersWithin(call: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  call.catch(() => {});
  try {
    return await Promise.race([call.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
