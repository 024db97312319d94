/**
 * The HTML of every page: one small layout, a stylesheet whose colours
 * follow the theme preference, and escaping for everything that is not
 * a literal of this file.
 */
import { html } from "@hattip/response";
import type { Theme } from "./preferences.ts";

/** Text made safe to place in HTML content or in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STYLES = `
:root { color-scheme: light; --bg: #fafafa; --fg: #1d1d1f; --muted: #5f6368; --accent: #0b57d0; --panel: #ffffff; --border: #d0d4da; --error: #b3261e; }
:root[data-theme="dark"] { color-scheme: dark; --bg: #141518; --fg: #e8eaed; --muted: #a0a4ab; --accent: #8ab4f8; --panel: #1f2125; --border: #3c4043; --error: #f2b8b5; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1rem; align-items: center; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--border); background: var(--panel); }
header nav { display: flex; gap: 1rem; flex: 1; }
a { color: var(--accent); }
main { max-width: 32rem; margin: 2rem auto; padding: 0 1.5rem; }
form.stacked { display: grid; gap: 0.75rem; padding: 1.25rem; border: 1px solid var(--border); border-radius: 8px; background: var(--panel); }
label { display: grid; gap: 0.25rem; }
input { font: inherit; padding: 0.4rem 0.5rem; border: 1px solid var(--border); border-radius: 4px; background: var(--bg); color: var(--fg); }
button { font: inherit; padding: 0.4rem 0.9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: var(--panel); cursor: pointer; }
button.quiet { background: transparent; color: var(--accent); }
form.inline { display: inline; margin: 0; }
.error { color: var(--error); font-weight: 600; }
.notice { color: var(--muted); }
`;

export interface PageOptions {
  title: string;
  /** Trusted HTML: build it with `escapeHtml` for anything that came from outside. */
  body: string;
  theme: Theme;
  /** The signed-in user, if any, for the header. */
  username?: string | undefined;
  status?: number;
}

export function page({ title, body, theme, username, status = 200 }: PageOptions): Response {
  const account = username
    ? `<span>Signed in as <strong>${escapeHtml(username)}</strong></span>
      <form class="inline" method="post" action="/logout"><button class="quiet" type="submit">Sign out</button></form>`
    : `<a href="/login">Sign in</a>`;
  const nextTheme: Theme = theme === "dark" ? "light" : "dark";
  return html(
    `<!doctype html>
<html lang="en" data-theme="${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · hattip-session starter</title>
<style>${STYLES}</style>
</head>
<body>
<header>
  <nav><a href="/">Home</a><a href="/profile">Profile</a></nav>
  <form class="inline" method="post" action="/preferences">
    <input type="hidden" name="theme" value="${nextTheme}">
    <button class="quiet" type="submit">Switch to ${nextTheme} theme</button>
  </form>
  ${account}
</header>
<main>
${body}
</main>
</body>
</html>`,
    { status, headers: PAGE_HEADERS },
  );
}

/** Pages depend on the session, so no cache may keep them; the CSP allows nothing but this page's own style and forms. */
const PAGE_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

/** A 303 sends the browser to `location` with a GET, whatever the method was. */
export function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

/** A bare page for errors, which must not depend on the session that may have failed. */
export function errorPage(status: number, message: string): Response {
  return html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status}</title></head>` +
      `<body><h1>${status}</h1><p>${escapeHtml(message)}</p></body></html>`,
    { status, headers: PAGE_HEADERS },
  );
}
