/**
 * The Blobs store that holds the login sessions: one site-wide store, read
 * with strong consistency so that a logout holds at once everywhere. Shared
 * by the edge function and the daily clean-up function.
 *
 * A second store, `login-throttle`, keeps the key that seals device cookies
 * (device-cookie.ts), so that every isolate opens the cookies another one
 * sealed; the login attempt counters stay in each isolate's memory.
 */
import { getStore } from "@netlify/blobs";
import { newDeviceKey } from "./device-cookie.ts";

export const SESSIONS_STORE = "sessions";
const LOGIN_THROTTLE_STORE = "login-throttle";
const DEVICE_KEY_BLOB = "device-cookie-key";

export function sessionsBlobs() {
  return getStore({ name: SESSIONS_STORE, consistency: "strong" });
}

export function loginThrottleBlobs() {
  return getStore({ name: LOGIN_THROTTLE_STORE, consistency: "strong" });
}

/** The kept key, or a new one kept now: `onlyIfNew` lets the first isolate to ask decide for all. */
export async function deviceCookieKey(store = loginThrottleBlobs()): Promise<string> {
  await store.set(DEVICE_KEY_BLOB, newDeviceKey(), { onlyIfNew: true });
  const key = await store.get(DEVICE_KEY_BLOB, { type: "text" });
  if (key === null) throw new Error(`The blob ${DEVICE_KEY_BLOB} is missing right after it was written.`);
  return key;
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
