/**
 * The Blobs store that holds the login sessions: one site-wide store, read
 * with strong consistency so that a logout holds at once everywhere. Shared
 * by the edge function and the daily clean-up function.
 *
 * A second store, `login-throttle`, keeps the key that seals device cookies
 * (device-cookie.ts), so that every isolate opens the cookies another one
 * sealed; the login attempt counters stay in each isolate's memory.
 *
 * A third, `security-activity`, keeps each user's "Recent security
 * activity" (activity.ts): one JSON blob per user, named by a keyed hash of
 * the user name, holding the capped list. Blobs has no TTL: the daily
 * clean-up function deletes a log whose newest entry is past the age the
 * log keeps, and a read ignores one that is.
 */
import { getStore } from "@netlify/blobs";
import type { ActivityEntry, ActivityStorage } from "./activity.ts";
import { newDeviceKey } from "./device-cookie.ts";

export const SESSIONS_STORE = "sessions";
const LOGIN_THROTTLE_STORE = "login-throttle";
const DEVICE_KEY_BLOB = "device-cookie-key";
export const ACTIVITY_STORE = "security-activity";
/** Two isolates appending to one log at once: the loser reads again and retries, this many times at most. */
const ACTIVITY_WRITE_ATTEMPTS = 5;

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

export function activityBlobs() {
  return getStore({ name: ACTIVITY_STORE, consistency: "strong" });
}

/** A user's log as its blob holds it: the entries, newest first, and when the whole log may be deleted. */
interface ActivityBlob {
  entries: unknown[];
  expiresAt: number;
}

/**
 * Each user's log one blob. An append reads the blob and writes it back
 * only if nobody wrote it meanwhile (`onlyIfMatch` its ETag, `onlyIfNew`
 * for a first entry); a write that lost such a race reads again and
 * retries, so two sign-ins at the same moment both land where the store
 * enforces the condition atomically. Netlify's local Blobs server (`npm run
 * dev`, the tests) checks the ETag and then writes, with awaits between, so
 * there two writes at the very same instant can still lose one entry; no
 * test here can show what the hosted service does.
 */
export class BlobsActivityStorage implements ActivityStorage {
  constructor(private readonly store = activityBlobs()) {}

  async append(key: string, entry: ActivityEntry, { limit, maxAgeSeconds }: { limit: number; maxAgeSeconds: number }): Promise<void> {
    for (let attempt = 0; attempt < ACTIVITY_WRITE_ATTEMPTS; attempt++) {
      const current = await this.#read(key);
      const entries = current && isActivityBlob(current.data) && current.data.expiresAt > Date.now() ? current.data.entries : [];
      const blob: ActivityBlob = { entries: [entry, ...entries].slice(0, limit), expiresAt: Date.now() + maxAgeSeconds * 1000 };
      const written = current
        ? await this.store.setJSON(key, blob, { onlyIfMatch: current.etag })
        : await this.store.setJSON(key, blob, { onlyIfNew: true });
      if (written.modified) return;
    }
    throw new Error(`The activity log changed under ${ACTIVITY_WRITE_ATTEMPTS} writes in a row; this entry was not added.`);
  }

  async recent(key: string, limit: number): Promise<unknown[]> {
    const blob: unknown = await this.store.get(key, { type: "json" });
    return isActivityBlob(blob) && blob.expiresAt > Date.now() ? blob.entries.slice(0, limit) : [];
  }

  /**
   * The blob and an ETag no newer than what was read, or `null` when there
   * is none. Netlify answers a read with its ETag; the local Blobs server
   * gives ETags only in listings, so the listing comes first there: a write
   * between the two makes the ETag stale, and the conditional write fails.
   */
  async #read(key: string): Promise<{ data: unknown; etag: string } | null> {
    const read = await this.store.getWithMetadata(key, { type: "json" });
    if (read === null) return null;
    if (read.etag) return { data: read.data, etag: read.etag };
    const { blobs } = await this.store.list({ prefix: key });
    const etag = blobs.find((blob) => blob.key === key)?.etag;
    if (!etag) return null;
    const data: unknown = await this.store.get(key, { type: "json" });
    return data === null ? null : { data, etag };
  }

  /** Deletes every log past its age (the daily clean-up function); returns how many. */
  async deleteExpired(): Promise<number> {
    let deleted = 0;
    for await (const page of this.store.list({ paginate: true })) {
      for (const { key } of page.blobs) {
        const blob: unknown = await this.store.get(key, { type: "json" });
        if (isActivityBlob(blob) && blob.expiresAt > Date.now()) continue;
        await this.store.delete(key);
        deleted++;
      }
    }
    return deleted;
  }
}

function isActivityBlob(value: unknown): value is ActivityBlob {
  const blob = value as Partial<ActivityBlob> | null;
  return typeof blob === "object" && blob !== null && Array.isArray(blob.entries) && typeof blob.expiresAt === "number";
}
