/**
 * "Recent security activity" on the profile page: the user's last sign-ins,
 * sign-outs and password confirmations, each with the device it happened on
 * and when, newest first. Fed by the session's lifecycle events (the
 * `events` option of `session()`), kept in the app's own store through an
 * `ActivityLog`: a capped list per user that expires.
 *
 * Each user's log is named by a keyed hash of the user name (HMAC-SHA-256
 * under SESSION_TAG_SECRET, as the session store names users), so a dump of
 * the store holds no user name. An entry holds what happened, a device label
 * ("Firefox on Linux") and a time: never a session ID or handle.
 *
 * A request's entries are written before its response goes out (the
 * `recordActivity` middleware waits for them), so the page a sign-in lands
 * on already shows it. A log that cannot be written never fails the
 * request: the error is logged and the sign-in or sign-out stands.
 */
import type { RequestContext } from "@hattip/compose";
import type { SessionEventListeners, SessionRevokedEvent } from "hattip-session";
import * as z from "zod/mini";
import { escapeHtml } from "./page.js";
import { relativeTimeHtml } from "./time.js";

/** How many entries a user's log keeps; older ones are dropped as new ones come. */
export const ACTIVITY_LIMIT = 20;
/** How long an entry is kept, and a log after its last entry: 30 days. */
export const ACTIVITY_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

const ActivityKind = z.enum(["signed-in", "signed-out", "signed-out-device", "signed-out-others", "signed-out-everywhere", "confirmed-password"]);
export type ActivityKind = z.infer<typeof ActivityKind>;

/** One entry as a store keeps it; read back through `ActivityEntry.safeParse`, so a damaged one is skipped. */
export const ActivityEntry = z.object({
  kind: ActivityKind,
  /** The device it happened on, as "Your sessions" labels it; none when the app itself acted, outside a request. */
  device: z.optional(z.string().check(z.maxLength(100))),
  /** When, in ms since the epoch. */
  at: z.number(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

/** A user's recent activity, wherever the app keeps it. */
export interface ActivityLog {
  /** Adds `entry` as the newest, keeping the last `ACTIVITY_LIMIT`. */
  append(user: string, entry: ActivityEntry): Promise<void>;
  /** At most `limit` entries, newest first, none older than `ACTIVITY_MAX_AGE_SECONDS`. */
  recent(user: string, limit: number): Promise<ActivityEntry[]>;
}

/**
 * What each store implements: a capped, expiring list under an opaque key
 * (a keyed hash of the user name, never the name). `append` keeps the
 * newest `limit` and makes the list expire `maxAgeSeconds` after it.
 */
export interface ActivityStorage {
  append(key: string, entry: ActivityEntry, limits: { limit: number; maxAgeSeconds: number }): Promise<void>;
  /** The newest `limit` entries, newest first, as stored (checked by the caller). */
  recent(key: string, limit: number): Promise<unknown[]>;
}

/** How a store names each user's log: base64url of HMAC-SHA-256 of the user name under `secret` (SESSION_TAG_SECRET). */
export function activityKeys(secret: string): (user: string) => Promise<string> {
  let hmacKey: Promise<CryptoKey> | undefined;
  return async (user) => {
    hmacKey ??= crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // "activity:" keeps these names apart from any other tag made under the same secret.
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey, new TextEncoder().encode(`activity:${user}`)));
    return base64url(mac);
  };
}

/** An `ActivityLog` on `storage`, each user's log named by `activityKeys(secret)`. */
export function keyedActivityLog(storage: ActivityStorage, secret: string): ActivityLog {
  const keyOf = activityKeys(secret);
  return {
    async append(user, entry) {
      await storage.append(await keyOf(user), entry, { limit: ACTIVITY_LIMIT, maxAgeSeconds: ACTIVITY_MAX_AGE_SECONDS });
    },
    async recent(user, limit) {
      const since = Date.now() - ACTIVITY_MAX_AGE_SECONDS * 1000;
      const stored = await storage.recent(await keyOf(user), Math.min(limit, ACTIVITY_LIMIT));
      return stored.flatMap((item) => {
        const entry = ActivityEntry.safeParse(item);
        return entry.success && entry.data.at >= since ? [entry.data] : [];
      });
    },
  };
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The log in this process's (or isolate's) memory: for `npm run dev`
 * without a store, and for tests. Lost on restart, one process only.
 */
export class MemoryActivityStorage implements ActivityStorage {
  readonly #logs = new Map<string, { entries: ActivityEntry[]; expiresAt: number }>();

  async append(key: string, entry: ActivityEntry, { limit, maxAgeSeconds }: { limit: number; maxAgeSeconds: number }): Promise<void> {
    const now = Date.now();
    const log = this.#live(key, now);
    this.#logs.set(key, { entries: [entry, ...(log?.entries ?? [])].slice(0, limit), expiresAt: now + maxAgeSeconds * 1000 });
  }

  async recent(key: string, limit: number): Promise<unknown[]> {
    return (this.#live(key, Date.now())?.entries ?? []).slice(0, limit);
  }

  #live(key: string, now: number) {
    const log = this.#logs.get(key);
    if (log && log.expiresAt <= now) this.#logs.delete(key);
    return log && log.expiresAt > now ? log : undefined;
  }
}

/** How long a response waits for its activity to be written. */
const WRITE_DEADLINE_MS = 3_000;

/** An entry waiting for the end of its request; `device: "acting"` is the device of the session that asked, looked up then. */
type Pending = { user: string; kind: ActivityKind; at: number; device: string | "acting" | undefined };

const REVOKE_KINDS: Record<SessionRevokedEvent["scope"], ActivityKind> = {
  one: "signed-out-device",
  others: "signed-out-others",
  all: "signed-out-everywhere",
};

/**
 * The listeners that turn session events into entries, and the middleware
 * (placed before `session()`) that writes a request's entries before its
 * response goes out.
 */
export function recordActivity(log: ActivityLog) {
  const pending = new WeakMap<RequestContext, Pending[]>();
  const add = (ctx: RequestContext | undefined, entry: Pending) => {
    if (!ctx) {
      // The app called the store itself, outside a request: written now, with no device to name.
      void log.append(entry.user, { kind: entry.kind, at: entry.at }).catch(reportFailure);
      return;
    }
    pending.set(ctx, [...(pending.get(ctx) ?? []), entry]);
  };
  const events: SessionEventListeners = {
    bound: (event, ctx) => add(ctx, { user: event.userId, kind: "signed-in", at: event.at, device: event.device }),
    destroyed: (event, ctx) => {
      if (event.userId) add(ctx, { user: event.userId, kind: "signed-out", at: event.at, device: event.device });
    },
    revoked: (event, ctx) =>
      add(ctx, {
        user: event.userId,
        kind: REVOKE_KINDS[event.scope],
        at: event.at,
        device: event.requestedBy.kind === "session" ? "acting" : undefined,
      }),
    sudoConfirmed: (event, ctx) => {
      if (event.userId) add(ctx, { user: event.userId, kind: "confirmed-password", at: event.at, device: "acting" });
    },
  };

  async function middleware(ctx: RequestContext): Promise<Response> {
    const response = await ctx.next();
    const entries = pending.get(ctx);
    if (!entries) return response;
    pending.delete(ctx);
    const written = (async () => {
      for (const entry of inTellingOrder(entries)) {
        const device = entry.device === "acting" ? await actingDevice(ctx) : entry.device;
        await log.append(entry.user, { kind: entry.kind, at: entry.at, ...(device === undefined ? {} : { device }) });
      }
    })().catch(reportFailure);
    // A slow store (a client that retries on its own) must not hold the sign-in up: past the deadline the response goes, the write goes on.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      written.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), WRITE_DEADLINE_MS))),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    if (late) {
      console.error(`Recent security activity was not written within ${WRITE_DEADLINE_MS} ms; the response went on without it.`);
      ctx.waitUntil?.(written);
    }
    return response;
  }

  return { events, middleware };
}

/**
 * A sign-in also proves the password: its "confirmed" is not a separate
 * entry. And a password confirmed for a sign-out is told before the
 * sign-out it allowed, although the session stores it at the end of the
 * request.
 */
function inTellingOrder(entries: readonly Pending[]): Pending[] {
  const signedIn = entries.some((entry) => entry.kind === "signed-in");
  const kept = entries.filter((entry) => !(signedIn && entry.kind === "confirmed-password"));
  return [...kept.filter((entry) => entry.kind === "confirmed-password"), ...kept.filter((entry) => entry.kind !== "confirmed-password")];
}

/** The label "Your sessions" shows for the session of this request, which carries the one its sign-in saw. */
async function actingDevice(ctx: RequestContext): Promise<string> {
  const sessions = await ctx.session.listSessions();
  return sessions.find((session) => session.current)?.device ?? "Unknown device";
}

function reportFailure(error: unknown): void {
  console.error("Recent security activity could not be written:", error);
}

const WHAT: Record<ActivityKind, string> = {
  "signed-in": "Signed in",
  "signed-out": "Signed out",
  "signed-out-device": "Signed out another device",
  "signed-out-others": "Signed out everywhere else",
  "signed-out-everywhere": "Signed out everywhere",
  "confirmed-password": "Confirmed password",
};

/** The profile's section for `user`; a log that cannot be read says so, and the profile still shows. */
export async function recentActivitySection(log: ActivityLog, user: string): Promise<string> {
  try {
    return recentActivityHtml(await log.recent(user, ACTIVITY_LIMIT));
  } catch (error) {
    console.error("Recent security activity could not be read:", error);
    return `<section aria-labelledby="activity-heading"><h2 id="activity-heading">Recent security activity</h2><p data-testid="activity-unavailable">Your recent activity cannot be shown right now. Please try again shortly.</p></section>`;
  }
}

/** The profile's section: what happened, on which device, how long ago (the instant in each `<time>`). */
export function recentActivityHtml(entries: readonly ActivityEntry[], now = Date.now()): string {
  const heading = `<h2 id="activity-heading">Recent security activity</h2>`;
  const about = `<p class="hint">Your last ${ACTIVITY_LIMIT} sign-ins, sign-outs and password confirmations, from the last ${ACTIVITY_MAX_AGE_SECONDS / 86_400} days.</p>`;
  if (entries.length === 0)
    return `<section aria-labelledby="activity-heading">${heading}<p data-testid="activity-empty">Nothing yet.</p>${about}</section>`;
  const items = entries
    .map((entry) => {
      // A sign-out of other devices names the device it was asked from, not the ones it ended.
      const preposition = entry.kind.startsWith("signed-out-") ? "from" : "on";
      const device =
        entry.device === undefined ? "by the site" : `${preposition} <span data-testid="activity-device">${escapeHtml(entry.device)}</span>`;
      return `<li data-testid="activity" data-kind="${entry.kind}"><strong data-testid="activity-what">${WHAT[entry.kind]}</strong> <span class="activity-where">${device}</span> <span class="activity-when">${relativeTimeHtml(entry.at, now)}</span></li>`;
    })
    .join("\n");
  return `<section aria-labelledby="activity-heading">${heading}
<ol class="activity">
${items}
</ol>
${about}</section>`;
}
