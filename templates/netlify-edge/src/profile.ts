/**
 * The profile page: the session behind the login, shown the way a learner
 * wants to see it: which store holds it, when it was created, when it ends
 * (idle and absolute), and that its ID changed at sign-in. The ID itself
 * never appears in a page; a short SHA-256 fingerprint stands for it.
 */
import { DEFAULT_ABSOLUTE_LIFETIME_SECONDS, DEFAULT_LIFETIME_SECONDS, MAX_DEFAULT_REFRESH_INTERVAL_SECONDS } from "hattip-session";
import type { StoreDescription } from "./app.ts";
import { escapeHtml } from "./page.ts";
import { timeHtml } from "./time.ts";

/** The first 8 hex digits of the SHA-256 of a cookie value: enough to tell two apart, useless to an attacker. */
export async function sessionFingerprint(cookieValue: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(cookieValue)));
  return Array.from(digest.subarray(0, 4), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export interface ProfileFacts {
  username: string;
  signedInAt: number | undefined;
  replacedId: string | undefined;
  /** The login cookie of this request. */
  cookieValue: string;
  store: StoreDescription;
}

export async function profilePage({ username, signedInAt, replacedId, cookieValue, store }: ProfileFacts): Promise<string> {
  const fingerprint = await sessionFingerprint(cookieValue);
  const holds =
    store.cookieHolds === "id"
      ? `${escapeHtml(store.name)}. Your cookie holds only a random 256-bit ID; the data stays on the server.`
      : `${escapeHtml(store.name)}. There is no server-side copy: the cookie is the session, sealed so that only this site can read or change it.`;
  const idLabel = store.cookieHolds === "id" ? "Session ID" : "Session cookie";
  const changed = replacedId
    ? `At sign-in it replaced the ID <code>${escapeHtml(replacedId)}</code> your browser held before, which was deleted at once.`
    : "It was issued at sign-in; your browser held no live session before.";
  const refreshHours = MAX_DEFAULT_REFRESH_INTERVAL_SECONDS / 3600;
  const created = signedInAt === undefined ? "unknown" : timeHtml(signedInAt);
  const absolute = signedInAt === undefined ? "30 days after sign-in" : timeHtml(signedInAt + DEFAULT_ABSOLUTE_LIFETIME_SECONDS * 1000);
  return `<dl class="facts">
  <dt>Username</dt><dd data-testid="username">${escapeHtml(username)}</dd>
  <dt>Kept in</dt><dd data-testid="store">${holds}</dd>
  <dt>Created</dt><dd data-testid="created">${created}</dd>
  <dt>Ends when idle</dt><dd data-testid="idle">after ${DEFAULT_LIFETIME_SECONDS / 86_400} days without a visit (a visit renews it, at most once ${refreshHours === 1 ? "an hour" : `every ${refreshHours} hours`})</dd>
  <dt>Ends at the latest</dt><dd data-testid="absolute">${absolute}, however active: then you sign in again</dd>
  <dt>${idLabel}</dt><dd data-testid="fingerprint">fingerprint <code>${fingerprint}</code>. ${changed}</dd>
</dl>
<p>Signing in again, or signing out, ends this session for good: a copy of its cookie is then worth nothing${
    store.cookieHolds === "data" ? " once it expires (a cookie store cannot revoke a copy before that)" : ""
  }.</p>`;
}
