/**
 * The whole app, runtime-agnostic (Fetch API and Web Crypto only): each
 * platform's entry file picks the login session store and hands the
 * handler to its adapter.
 *
 * Two sessions: the login session (`ctx.session`, in the store the entry
 * file chooses) and the theme preference (`ctx.sessions.preferences`, in a
 * plain cookie).
 */
import { compose, type RequestContext } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { createRouter } from "@hattip/router";
import { session, SessionStoreUnavailableError, type SessionStore } from "hattip-session";
import { z } from "zod";
import { rejectCrossSiteRequests } from "./csrf.ts";
import { readForm } from "./form.ts";
import { errorPage, escapeHtml, page, seeOther } from "./page.ts";
import { Theme, preferencesSession } from "./preferences.ts";
import type { LoginSession } from "./session-data.ts";
import { authenticate } from "./users.ts";
import "./session-data.ts";

export interface AppOptions {
  /** Where login sessions live: Redis, Workers KV, an encrypted cookie... */
  loginStore: SessionStore<LoginSession>;
}

const LoginForm = z.object({
  username: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(1024),
});

const PreferencesForm = z.object({ theme: Theme });

export function createApp({ loginStore }: AppOptions) {
  const router = createRouter();

  router.use(handleErrors);
  router.use(rejectCrossSiteRequests);
  router.use(cookie());
  router.use(session({ store: loginStore, defaultSessionData: {} }));
  router.use(preferencesSession());

  router.get("/", (ctx) =>
    render(ctx, "Home", ctx.session.data.username
      ? `<h1>Welcome back</h1><p>You are signed in as <strong>${escapeHtml(ctx.session.data.username)}</strong>. See your <a href="/profile">profile</a>.</p>`
      : `<h1>hattip-session starter</h1><p>A login that survives session fixation, a theme kept in a validated cookie, and CSRF-safe forms.</p><p><a href="/login">Sign in</a> as <code>demo</code> / <code>demo-password</code>.</p>`),
  );

  router.get("/login", (ctx) => {
    if (ctx.session.data.username) return seeOther("/profile");
    return loginPage(ctx, takeNotice(ctx));
  });

  router.post("/login", async (ctx) => {
    const form = LoginForm.safeParse(await readForm(ctx));
    const user = form.success ? await authenticate(form.data.username, form.data.password) : null;
    // A failed attempt leaves the session exactly as it was.
    if (!user) return loginPage(ctx, { error: "Wrong username or password." }, 401);
    // A new ID before the session gains privilege: an ID planted or seen before login is now worthless.
    await ctx.session.regenerate();
    ctx.session.data = { username: user.username };
    return seeOther("/profile");
  });

  router.get("/profile", (ctx) => {
    const { username } = ctx.session.data;
    if (!username) {
      ctx.session.data.notice = "Please sign in to see your profile.";
      return seeOther("/login");
    }
    return render(ctx, "Profile", `<h1>Profile</h1><p>Signed in as <strong data-testid="username">${escapeHtml(username)}</strong>.</p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`);
  });

  router.post("/logout", async (ctx) => {
    await ctx.session.destroy();
    return seeOther("/");
  });

  router.post("/preferences", async (ctx) => {
    const form = PreferencesForm.safeParse(await readForm(ctx));
    if (!form.success) return errorPage(400, "The theme must be light or dark.");
    ctx.sessions.preferences.data = { theme: form.data.theme };
    return seeOther(sameOriginReferrer(ctx) ?? "/");
  });

  return compose(router.handlers);
}

function render(ctx: RequestContext, title: string, body: string, status?: number): Response {
  return page({
    title,
    body,
    status,
    theme: ctx.sessions.preferences.data.theme,
    username: ctx.session.data.username,
  });
}

function loginPage(ctx: RequestContext, message: { error?: string; notice?: string }, status?: number): Response {
  const error = message.error ? `<p class="error" role="alert">${escapeHtml(message.error)}</p>` : "";
  const notice = message.notice ? `<p class="notice">${escapeHtml(message.notice)}</p>` : "";
  return render(ctx, "Sign in", `<h1>Sign in</h1>${error}${notice}
<form class="stacked" method="post" action="/login">
  <label>Username <input name="username" autocomplete="username" required maxlength="100"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
  <button type="submit">Sign in</button>
</form>`, status);
}

/** Reads the one-time notice and removes it from the session. */
function takeNotice(ctx: RequestContext): { notice?: string } {
  const { notice } = ctx.session.data;
  if (notice === undefined) return {};
  delete ctx.session.data.notice;
  return { notice };
}

/** The path of the page that posted the form, if it is on this site: never redirect elsewhere. */
function sameOriginReferrer(ctx: RequestContext): string | undefined {
  const referrer = ctx.request.headers.get("referer");
  if (!referrer || !URL.canParse(referrer)) return undefined;
  const url = new URL(referrer);
  return url.origin === ctx.url.origin ? url.pathname + url.search : undefined;
}

function handleErrors(ctx: RequestContext): void {
  ctx.handleError = (error) => {
    if (error instanceof SessionStoreUnavailableError) {
      const response = errorPage(503, "Sessions are unavailable for a moment. Please try again shortly.");
      response.headers.set("retry-after", "5");
      return response;
    }
    console.error(error);
    return errorPage(500, "Something went wrong on our side.");
  };
}
