/**
 * The HTML of every page: one small layout that works from a 320 px phone
 * up, a stylesheet that follows the theme preference (or the system's light
 * or dark setting until the user picks one), themed error pages, the
 * favicon, and escaping for everything that is not a literal of this file.
 * No script, no external file: the CSP allows only this page's own style.
 */
import { html } from "@hattip/response";
import type { Theme } from "./session-data.js";

/** Text made safe to place in HTML content or in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const LIGHT =
  "color-scheme: light; --bg: #f6f7f9; --fg: #1d1d1f; --muted: #5f6368; --accent: #0b57d0; --on-accent: #ffffff; --panel: #ffffff; --border: #d0d4da; --error: #b3261e; --notice-bg: #e8f0fe;";
const DARK =
  "color-scheme: dark; --bg: #141518; --fg: #e8eaed; --muted: #a0a4ab; --accent: #8ab4f8; --on-accent: #141518; --panel: #1f2125; --border: #3c4043; --error: #f2b8b5; --notice-bg: #1e2a3d;";

const STYLES = `
:root { ${LIGHT} }
:root[data-theme="dark"] { ${DARK} }
@media (prefers-color-scheme: dark) { :root:not([data-theme]) { ${DARK} } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
header.site { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.75rem; padding: 0.6rem 1rem; border-bottom: 1px solid var(--border); background: var(--panel); }
header.site .brand { font-weight: 700; color: var(--fg); text-decoration: none; white-space: nowrap; }
header.site nav { display: flex; gap: 0.75rem; flex: 1; min-width: 0; }
header.site .user { max-width: 12rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
header.site form { margin: 0; }
main { max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
h1 { line-height: 1.2; }
button, .button { font: inherit; padding: 0.35rem 0.8rem; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: var(--on-accent); cursor: pointer; white-space: nowrap; text-decoration: none; display: inline-block; }
button.quiet { background: transparent; color: var(--accent); }
.to-light { display: none; }
:root[data-theme="dark"] .to-light { display: inline-block; }
:root[data-theme="dark"] .to-dark { display: none; }
@media (prefers-color-scheme: dark) { :root:not([data-theme]) .to-light { display: inline-block; } :root:not([data-theme]) .to-dark { display: none; } }
form.stacked { display: grid; gap: 0.75rem; padding: 1.25rem; border: 1px solid var(--border); border-radius: 8px; background: var(--panel); }
label { display: grid; gap: 0.25rem; }
input { font: inherit; padding: 0.45rem 0.55rem; border: 1px solid var(--border); border-radius: 6px; background: var(--bg); color: var(--fg); width: 100%; }
.error { color: var(--error); font-weight: 600; }
.notice { padding: 0.6rem 0.8rem; border-radius: 6px; background: var(--notice-bg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.4rem 1rem; padding: 1rem; border: 1px solid var(--border); border-radius: 8px; background: var(--panel); }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table.sessions { width: 100%; border-collapse: collapse; margin-bottom: 1rem; }
table.sessions th, table.sessions td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--border); vertical-align: middle; }
table.sessions th { color: var(--muted); font-weight: 600; }
table.sessions form { margin: 0; }
/* A device's name, its times and its badge each keep to one line at desktop widths; a phone shows cards instead. */
table.sessions td { white-space: nowrap; }
main:has(table.sessions) { max-width: 44rem; }
/* "This device" stays one piece beside the device's name. */
.this-device { display: inline-block; margin-left: 0.35rem; padding: 0 0.45rem; border-radius: 999px; background: var(--notice-bg); font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.active-now { white-space: nowrap; }
/* A relative time carries its exact instant in a title: the dotted line says there is more to see. */
time[title] { text-decoration: underline dotted; text-underline-offset: 0.2em; cursor: help; }
/* Recent security activity: one line per entry at desktop widths; on a phone the words wrap, never the page. */
ol.activity { list-style: none; padding: 0; margin: 0 0 0.5rem; }
ol.activity li { padding: 0.4rem 0; border-bottom: 1px solid var(--border); overflow-wrap: anywhere; }
.activity-when { color: var(--muted); white-space: nowrap; }
.hint { color: var(--muted); font-size: 0.9rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.status { font-size: 3rem; font-weight: 700; color: var(--muted); margin: 0; }
@media (max-width: 30rem) {
  header.site .user, header.site .label { display: none; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 0.4rem; }
  /* On a phone each session is a small card: a label before each value instead of a header row. */
  table.sessions thead { display: none; }
  table.sessions tr { display: block; padding: 0.5rem 0; border-bottom: 1px solid var(--border); }
  table.sessions td { display: block; border: 0; padding: 0.1rem 0; white-space: normal; }
  table.sessions td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
`;

/**
 * Who the header shows: a signed-in name, a sign-in link, or nothing (error
 * pages, which must not depend on a session, and the sign-in page, whose
 * form is the way in already).
 */
export type HeaderAccount = { username: string } | "signed-out" | "hidden";

export interface PageOptions {
  title: string;
  /** Trusted HTML: build it with `escapeHtml` for anything that came from outside. */
  body: string;
  /** `undefined`: follow the system's setting. */
  theme: Theme | undefined;
  account: HeaderAccount;
  status?: number;
  headers?: Record<string, string>;
}

export function page({ title, body, theme, account, status = 200, headers = {} }: PageOptions): Response {
  const themeAttribute = theme ? ` data-theme="${theme}"` : "";
  const signedIn = typeof account === "object";
  const nav = signedIn ? `<a href="/profile">Profile</a>` : "";
  const accountHtml = signedIn
    ? `<span class="user" title="Signed in as ${escapeHtml(account.username)}">${escapeHtml(account.username)}</span>
  <form method="post" action="/logout"><button class="quiet" type="submit">Sign out</button></form>`
    : account === "signed-out"
      ? `<a class="button" href="/login">Sign in</a>`
      : "";
  return html(
    `<!doctype html>
<html lang="en"${themeAttribute}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · hattip-session starter</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${STYLES}</style>
</head>
<body>
<header class="site">
  <a class="brand" href="/">hattip-session</a>
  <nav>${nav}</nav>
  <form method="post" action="/preferences">
    <button class="quiet to-dark" type="submit" name="theme" value="dark" aria-label="Switch to dark theme" title="Switch to dark theme">☾<span class="label"> Dark</span></button>
    <button class="quiet to-light" type="submit" name="theme" value="light" aria-label="Switch to light theme" title="Switch to light theme">☀<span class="label"> Light</span></button>
  </form>
  ${accountHtml}
</header>
<main>
${body}
</main>
</body>
</html>`,
    { status, headers: { ...PAGE_HEADERS, ...headers } },
  );
}

/**
 * Pages depend on the session, so no cache may keep them; the CSP allows
 * nothing but this page's own style, the favicon, and forms to this site.
 */
const PAGE_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

/** A 303 sends the browser to `location` with a GET, whatever the method was. */
export function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

const ERROR_TITLES: Record<number, string> = {
  400: "That did not work",
  403: "Refused",
  404: "Page not found",
  413: "Too large",
  429: "Too many attempts",
  500: "Something went wrong",
  503: "Back in a moment",
};

/**
 * An error page in the site's layout and theme, with a way back. It shows
 * no account: the login session may be what failed.
 */
export function errorPage(status: number, message: string, theme?: Theme, headers: Record<string, string> = {}): Response {
  const title = ERROR_TITLES[status] ?? "Error";
  return page({
    title,
    body: `<p class="status">${status}</p><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to the home page</a></p>`,
    theme,
    account: "hidden",
    status,
    headers,
  });
}

/** A key on a rounded square, in the accent colour of each theme. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><style>rect{fill:#0b57d0}@media (prefers-color-scheme:dark){rect{fill:#8ab4f8}}</style><rect width="32" height="32" rx="7"/><circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/><path d="M17 16h10m-3 0v4m-4-4v3" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/></svg>`;

export function favicon(): Response {
  return new Response(FAVICON, {
    headers: { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" },
  });
}
