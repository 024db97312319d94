/**
 * "Your sessions" on the profile page: every device the user is signed in
 * on, from the login store's per-user index, with a way to sign out one of
 * them or all but this one. Only a server-side store can list sessions; a
 * cookie store keeps them in browsers, so the page says so instead.
 *
 * Laid out as GitHub and Google show sessions: this device first, marked
 * "This device" and "Active now", then the others, the most recently
 * active first; times as "2 minutes ago", the exact instant in each
 * `<time>`.
 */
import type { UserSessionInfo } from "hattip-session";
import { escapeHtml } from "./page.js";
import { relativeTimeHtml, relativeTimeText, windowText } from "./time.js";

/** The profile's section for a store that lists sessions. */
export function yourSessionsHtml(sessions: readonly UserSessionInfo[], sudoWindowSeconds: number, now = Date.now()): string {
  if (sessions.length === 0) {
    // A session signed in before sessions were bound to users: it lists nothing until the next sign-in.
    return `<h2>Your sessions</h2>
<p data-testid="sessions-empty">This session is not in your list of devices yet: sign out and in again to see it here.</p>`;
  }
  const others = sessions.filter((session) => !session.current);
  const rows = listingOrder(sessions)
    .map((session) => rowHtml(session, now))
    .join("\n");
  const everywhere = others.length
    ? `<form method="post" action="/sessions/revoke-others"><button type="submit">Sign out everywhere else</button></form>
<p class="hint">Signing out another device asks for your password again unless you entered it in the last ${windowText(sudoWindowSeconds)}.</p>`
    : `<p class="hint">You are signed in on this device only.</p>`;
  return `<h2>Your sessions</h2>
<table class="sessions">
<thead><tr><th scope="col">Device</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${everywhere}`;
}

/** The profile's section for a cookie store, which cannot list what lives only in browsers. */
export function sessionsUnavailableHtml(): string {
  return `<p data-testid="sessions-unavailable">This store keeps each session only in its browser's cookie, so it cannot list or sign out your other devices: the README says which store can.</p>`;
}

/** This device first, then the others by their last activity, the latest first. */
function listingOrder(sessions: readonly UserSessionInfo[]): UserSessionInfo[] {
  return [...sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt || b.createdAt - a.createdAt);
}

function rowHtml(session: UserSessionInfo, now: number): string {
  const device = `<span data-testid="device">${escapeHtml(session.device)}</span>`;
  if (session.current) {
    // It is making this very request: "Active now", not a repeat of when it signed in.
    return `<tr data-testid="session" data-current=""><td data-label="Device">${device} <strong class="this-device">This device</strong></td><td data-label="Signed in">${relativeTimeHtml(session.createdAt, now)}</td><td data-label="Last active"><span class="active-now">Active now</span></td><td></td></tr>`;
  }
  const label = `Sign out ${session.device}, signed in ${relativeTimeText(session.createdAt, now)}`;
  const action = `<form method="post" action="/sessions/revoke"><input type="hidden" name="handle" value="${escapeHtml(session.handle)}"><button class="quiet" type="submit" aria-label="${escapeHtml(label)}">Sign out</button></form>`;
  return `<tr data-testid="session"><td data-label="Device">${device}</td><td data-label="Signed in">${relativeTimeHtml(session.createdAt, now)}</td><td data-label="Last active">${relativeTimeHtml(session.lastSeenAt, now)}</td><td>${action}</td></tr>`;
}
