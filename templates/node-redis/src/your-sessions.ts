/**
 * "Your sessions" on the profile page: every device the user is signed in
 * on, from the login store's per-user index, with a way to sign out one of
 * them or all but this one. Only a server-side store can list sessions; a
 * cookie store keeps them in browsers, so the page says so instead.
 */
import type { UserSessionInfo } from "hattip-session";
import { escapeHtml } from "./page.js";
import { timeHtml, timeText, windowText } from "./time.js";

/** The profile's section for a store that lists sessions. */
export function yourSessionsHtml(sessions: readonly UserSessionInfo[], sudoWindowSeconds: number): string {
  if (sessions.length === 0) {
    // A session signed in before sessions were bound to users: it lists nothing until the next sign-in.
    return `<h2>Your sessions</h2>
<p data-testid="sessions-empty">This session is not in your list of devices yet: sign out and in again to see it here.</p>`;
  }
  const others = sessions.filter((session) => !session.current);
  const rows = sessions.map((session) => rowHtml(session)).join("\n");
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

function rowHtml(session: UserSessionInfo): string {
  const action = session.current
    ? `<strong>This device</strong>`
    : `<form method="post" action="/sessions/revoke"><input type="hidden" name="handle" value="${escapeHtml(session.handle)}"><button class="quiet" type="submit" aria-label="Sign out ${escapeHtml(session.device)}, signed in ${timeText(session.createdAt)}">Sign out</button></form>`;
  return `<tr data-testid="session"${session.current ? ' data-current=""' : ""}><td data-label="Device">${escapeHtml(session.device)}</td><td data-label="Signed in">${timeHtml(session.createdAt)}</td><td data-label="Last active">${timeHtml(session.lastSeenAt)}</td><td>${action}</td></tr>`;
}
