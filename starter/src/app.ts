/**
 * The whole app, runtime-agnostic (Fetch API and Web Crypto only): each
 * platform's entry file picks the login session store, the users, where
 * login attempts are counted and how the client's address is known, and
 * hands the handler to its adapter.
 *
 * Three sessions: the login session (`ctx.session`, in the store the entry
 * file chooses), and two harmless cookie sessions, the theme
 * (`ctx.sessions.preferences`) and one-time notices (`ctx.sessions.notice`).
 * A visitor who is not signed in never causes a write to the login store.
 *
 * Where the login store keeps a per-user index (Redis, KV), each sign-in is
 * bound to its user, and the profile lists the user's devices with a way to
 * sign them out, behind sudo mode (sudo.ts). A cookie store has no such
 * index: the routes are not there, and the profile says why.
 */
import { compose, type RequestContext } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { createRouter } from "@hattip/router";
import {
  EncryptedCookieStore,
  isSessionError,
  type SessionCacheOptions,
  type SessionEventListeners,
  session,
  type SessionStore,
  type TelemetryOptions,
  type UserSessionIndex,
} from "hattip-session";
import * as z from "zod/mini";
import { type ActivityLog, recentActivitySection, recordActivity } from "./activity.js";
import { isCrossSiteRequest } from "./csrf.js";
import { DeviceCookies, type DeviceCookieKeys } from "./device-cookie.js";
import { FormTooLargeError, readForm } from "./form.js";
import { LoginThrottle, ThrottleUnavailableError, type AttemptStore } from "./login-throttle.js";
import { errorPage, escapeHtml, favicon, page, seeOther } from "./page.js";
import { noticeSession, preferencesSession } from "./preferences.js";
import { profilePage, sessionFingerprint } from "./profile.js";
import { safeReturnPath } from "./return-path.js";
import { LoginSession, NOTICES, Theme, Username, type NoticeCode } from "./session-data.js";
import { ConfirmPasswordForm, confirmPasswordHtml, DEFAULT_SUDO_WINDOW_SECONDS, Handle, type SensitiveAction } from "./sudo.js";
import { authenticate, DEMO_USER, type User } from "./users.js";
import { sessionsUnavailableHtml, yourSessionsHtml } from "./your-sessions.js";

/** Where the login session lives, as the profile page and /health name it. */
export interface StoreDescription {
  /** Like "Redis" or "an encrypted cookie". */
  name: string;
  /** `id`: the cookie holds a random ID and the data is on the server; `data`: the cookie holds the (sealed) data. */
  cookieHolds: "id" | "data";
}

export interface AppOptions {
  /** Where login sessions live: Redis, Workers KV, an encrypted cookie... */
  loginStore: SessionStore<LoginSession>;
  store: StoreDescription;
  /** Who may sign in (see users.ts). */
  users: readonly User[];
  /** Where login attempts are counted (see login-throttle.ts). */
  loginAttempts: AttemptStore;
  /**
   * The AES-256-GCM keys that seal device cookies (device-cookie.ts): the
   * app's session keys where it has them (an encrypted cookie store's).
   * Unless given, the key the login attempt store keeps (`deviceKey()`).
   */
  deviceCookieKeys?: DeviceCookieKeys;
  /** The client's address, for throttling. Defaults to what the adapter reports (`ctx.ip`). */
  clientAddress?: (ctx: RequestContext) => string;
  /** Whether the login store answers, for GET /health. Cookie stores need none. */
  checkStore?: () => Promise<boolean>;
  /**
   * How recently the password must have been entered for signing out other
   * devices, in seconds (sudo mode); older asks for it again. Ten minutes
   * unless set (see `sudoWindowFromSetting`).
   */
  sudoWindowSeconds?: number;
  /**
   * A server-side store far from the app (session-cache.ts): a sealed copy of
   * the session answers GET and HEAD for `maxAge` seconds without a store
   * read. The pages that list or sign out devices verify with the store.
   */
  sessionCache?: SessionCacheOptions;
  /**
   * The app's OpenTelemetry tracer and meter, for the login session's spans
   * and metrics (store calls, sessions created, rotated, destroyed). None:
   * the session does no telemetry work at all.
   */
  telemetry?: Pick<TelemetryOptions, "tracer" | "meter">;
  /** Where "Recent security activity" is kept (activity.ts); shown where the login store lists sessions. */
  activityLog?: ActivityLog;
}

const LoginForm = z.object({
  username: z.pipe(z.string().check(z.trim()), Username),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});

const PreferencesForm = z.object({ theme: Theme });

/** Only a server-side store keeps a per-user index; a cookie store has none to offer. */
function listsSessions(store: SessionStore<LoginSession>): boolean {
  return typeof (store as Partial<UserSessionIndex>).listUserSessions === "function";
}

/** The login cookie's name: `__Host-` over https, so that no sibling subdomain can set or shadow it. */
function loginCookieName(ctx: RequestContext): string {
  return ctx.url.protocol === "https:" ? "__Host-session" : "session";
}

export function createApp(options: AppOptions) {
  const { users, store, loginAttempts } = options;
  const throttle = new LoginThrottle(loginAttempts);
  // Sealed with the app's session keys where it has them, else with the key the counters' store keeps.
  const deviceCookies = new DeviceCookies(
    options.deviceCookieKeys ?? (async () => EncryptedCookieStore.generateKeysFromBase64([await loginAttempts.deviceKey()])),
  );
  const clientAddress = options.clientAddress ?? ((ctx: RequestContext) => ctx.ip || "unknown");
  // Where the demo user is on (development), the pages that lead to sign-in say how to try it.
  const demoHint = users.includes(DEMO_USER)
    ? `<p data-testid="demo-hint">Try it as <code>demo</code> / <code>demo-password</code>: a user for trying the app, on in development only.</p>`
    : "";
  const canListSessions = listsSessions(options.loginStore);
  const sudoWindowSeconds = options.sudoWindowSeconds ?? DEFAULT_SUDO_WINDOW_SECONDS;
  const router = createRouter();
  const sensitiveAction = sensitiveActionGuard(sudoWindowSeconds);
  const activityLog = canListSessions ? options.activityLog : undefined;
  const activity = activityLog ? recordActivity(activityLog) : undefined;

  router.use(handleErrors);
  router.get("/health", async () => {
    const ok = options.checkStore ? await options.checkStore().catch(() => false) : true;
    return Response.json(
      { status: ok ? "ok" : "unavailable", store: store.name, storeReachable: ok },
      { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
    );
  });
  router.get("/favicon.svg", favicon);
  router.use(cookie());
  router.use(preferencesSession());
  router.use(rejectCrossSiteRequests);
  router.use(noticeSession());
  if (activity) router.use(activity.middleware);
  router.use(loginSession(options.loginStore, options.sessionCache, options.telemetry, activity?.events));

  router.get("/", (ctx) => {
    const username = ctx.session.data.username;
    const notice = noticeHtml(ctx);
    const body = username
      ? `<h1>Welcome back</h1>${notice}<p>You are signed in as <strong>${escapeHtml(username)}</strong>. Your <a href="/profile">profile</a> shows the session behind it.</p>`
      : `<h1>hattip-session starter</h1>${notice}<p>A login that survives session fixation and password guessing, a theme kept in a validated cookie, and forms that refuse cross-site posts.</p>
<p><a class="button" href="/login">Sign in</a></p>${demoHint}`;
    return render(ctx, "Home", body);
  });

  router.get("/login", (ctx) => {
    if (ctx.session.data.username) return seeOther("/profile");
    return loginPage(ctx, { notice: noticeHtml(ctx), demoHint });
  });

  router.post("/login", async (ctx) => {
    const form = LoginForm.safeParse(await readForm(ctx));
    if (!form.success) return loginPage(ctx, { error: "Wrong username or password.", demoHint }, 401);
    const { username, password } = form.data;
    const attempt = { username, clientAddress: clientAddress(ctx), knownDevice: await deviceCookies.knownDevice(ctx, username) };
    const verdict = await throttle.begin(attempt);
    if (!verdict.allowed) {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      return loginPage(ctx, { error: `Too many sign-in attempts. Try again in ${waitText(seconds)}.`, username, demoHint }, 429, {
        "retry-after": String(seconds),
      });
    }
    const user = await authenticate(users, username, password);
    // A failed attempt leaves the session exactly as it was.
    if (!user) return loginPage(ctx, { error: "Wrong username or password.", username, demoHint }, 401);
    await throttle.succeeded(attempt);
    // From now on this browser is judged on its own counter for this account, whatever a flood does to the shared one.
    await deviceCookies.remember(ctx, user.username);
    const previousCookie = ctx.session.isFresh ? undefined : ctx.cookie[loginCookieName(ctx)];
    // A new ID before the session gains privilege: an ID planted or seen before login is now worthless.
    await ctx.session.regenerate();
    // In the user's list of sessions from now on, so that it can be signed out from another device.
    ctx.session.bindUser(user.username);
    // The password was just entered: sudo mode starts now.
    ctx.session.markAuthenticated();
    ctx.session.data = {
      username: user.username,
      signedInAt: Date.now(),
      ...(previousCookie ? { replacedId: await sessionFingerprint(previousCookie) } : {}),
    };
    return seeOther("/profile");
  });

  router.get("/profile", async (ctx) => {
    // This page lists and signs out devices: it asks the store, not a cached copy that may lag a sign-out elsewhere.
    await ctx.session.verify();
    const { username, signedInAt, replacedId } = ctx.session.data;
    if (!username) {
      flashNotice(ctx, heldEndedSession(ctx) ? "session-ended" : "sign-in-required");
      return seeOther("/login");
    }
    const cookieValue = ctx.cookie[loginCookieName(ctx)] ?? "";
    const facts = await profilePage({ username, signedInAt, replacedId, cookieValue, store });
    const sessions = canListSessions ? yourSessionsHtml(await ctx.session.listSessions(), sudoWindowSeconds) : sessionsUnavailableHtml();
    const recent = activityLog ? `\n${await recentActivitySection(activityLog, username)}` : "";
    return render(ctx, "Profile", `<h1>Profile</h1>${noticeHtml(ctx)}\n${facts}\n${sessions}${recent}`);
  });

  if (canListSessions) {
    // Each answers the same whatever the handle: a forged, foreign or stale one ends nothing and reveals nothing.
    router.post("/sessions/revoke", async (ctx) => {
      const form = await readForm(ctx);
      const handle = Handle.safeParse(form?.handle);
      // A handle that is no handle at all still gets the answer a real one gets, and ends nothing.
      return sensitiveAction(ctx, { action: "revoke", handle: handle.success ? handle.data : "" });
    });
    router.post("/sessions/revoke-others", (ctx) => sensitiveAction(ctx, { action: "revoke-others" }));

    router.post("/confirm-password", async (ctx) => {
      await ctx.session.verify();
      const username = ctx.session.data.username;
      if (!username) return seeOther("/login");
      const form = ConfirmPasswordForm.safeParse(await readForm(ctx));
      if (!form.success) return errorPage(400, "That form was not complete. Go back to your profile and try again.", themeOf(ctx));
      const { password, handle } = form.data;
      const action: SensitiveAction = form.data.action === "revoke" ? { action: "revoke", handle } : { action: "revoke-others" };
      const prompt = (error: string, status: number, headers?: Record<string, string>) =>
        render(ctx, "Confirm it is you", confirmPasswordHtml({ action, username, windowSeconds: sudoWindowSeconds, error }), status, headers);
      // Throttled as sign-in is, on the same counters: a stolen session cannot be used to guess the password.
      const attempt = { username, clientAddress: clientAddress(ctx), knownDevice: await deviceCookies.knownDevice(ctx, username) };
      const verdict = await throttle.begin(attempt);
      if (!verdict.allowed) {
        const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
        return prompt(`Too many attempts. Try again in ${waitText(seconds)}.`, 429, { "retry-after": String(seconds) });
      }
      if (!(await authenticate(users, username, password))) return prompt("Wrong password.", 401);
      await throttle.succeeded(attempt);
      ctx.session.markAuthenticated();
      return perform(ctx, action);
    });
  }

  router.post("/logout", async (ctx) => {
    await ctx.session.destroy();
    flashNotice(ctx, "signed-out");
    return seeOther("/");
  });

  router.post("/preferences", async (ctx) => {
    const form = PreferencesForm.safeParse(await readForm(ctx));
    if (!form.success) return errorPage(400, "The theme must be light or dark.", themeOf(ctx));
    ctx.sessions.preferences.data = { theme: form.data.theme };
    return seeOther(safeReturnPath(ctx.request.headers.get("referer"), ctx.url.origin) ?? "/");
  });

  router.use((ctx) => errorPage(404, `There is no page at ${ctx.url.pathname}.`, themeOf(ctx)));

  return compose(router.handlers);
}

/** Sudo mode: with a recent password the action runs; otherwise the password page asks first, and runs it then. */
function sensitiveActionGuard(sudoWindowSeconds: number) {
  return async (ctx: RequestContext, action: SensitiveAction): Promise<Response> => {
    // Sudo mode trusts the store's word on the session only (a POST reads it anyway; this says so where it matters).
    await ctx.session.verify();
    const username = ctx.session.data.username;
    if (!username) return seeOther("/login");
    if (!ctx.session.authenticatedWithin(sudoWindowSeconds)) {
      return render(ctx, "Confirm it is you", confirmPasswordHtml({ action, username, windowSeconds: sudoWindowSeconds }));
    }
    return perform(ctx, action);
  };
}

async function perform(ctx: RequestContext, action: SensitiveAction): Promise<Response> {
  if (action.action === "revoke") {
    await ctx.session.revokeSession(action.handle);
    flashNotice(ctx, "device-signed-out");
  } else {
    await ctx.session.revokeOtherSessions();
    flashNotice(ctx, "others-signed-out");
  }
  return seeOther("/profile");
}

/** Two copies of `session()`, one per cookie name; each request runs the one its scheme calls for. */
function loginSession(
  store: SessionStore<LoginSession>,
  cache: SessionCacheOptions | undefined,
  telemetry: Pick<TelemetryOptions, "tracer" | "meter"> | undefined,
  events: SessionEventListeners | undefined,
) {
  const options = { schema: LoginSession, store, defaultSessionData: {}, ...(cache ? { cache } : {}), ...telemetry, ...(events ? { events } : {}) };
  const overHttps = session({ ...options, cookieName: "__Host-session" });
  const overHttp = session({ ...options, cookieName: "session" });
  return (ctx: RequestContext) => (ctx.url.protocol === "https:" ? overHttps(ctx) : overHttp(ctx));
}

function rejectCrossSiteRequests(ctx: RequestContext): Response | undefined {
  if (!isCrossSiteRequest(ctx)) return undefined;
  return errorPage(403, "This form was not sent from this site, so it was refused. Go back and send it again from here.", themeOf(ctx));
}

/**
 * The browser sent a login cookie, yet no session came of it: the session
 * it named was revoked from another device, expired, or never was. The
 * store cannot tell these apart, and the page does not try.
 */
function heldEndedSession(ctx: RequestContext): boolean {
  return ctx.session.isFresh && Boolean(ctx.cookie[loginCookieName(ctx)]);
}

function render(
  ctx: RequestContext,
  title: string,
  body: string,
  status?: number,
  headers?: Record<string, string>,
  signedOutHeader: "signed-out" | "hidden" = "signed-out",
): Response {
  const { username } = ctx.session.data;
  return page({ title, body, status, headers, theme: themeOf(ctx), account: username ? { username } : signedOutHeader });
}

function loginPage(
  ctx: RequestContext,
  message: { error?: string; notice?: string; username?: string; demoHint: string },
  status?: number,
  headers?: Record<string, string>,
): Response {
  const error = message.error ? `<p class="error" role="alert">${escapeHtml(message.error)}</p>` : "";
  const username = message.username ?? "";
  // After a failed attempt the name stays and the cursor waits in the password field.
  const focusUsername = username ? "" : " autofocus";
  const focusPassword = username ? " autofocus" : "";
  return render(
    ctx,
    "Sign in",
    `<h1>Sign in</h1>${error}${message.notice ?? ""}
<form class="stacked" method="post" action="/login">
  <label>Username <input name="username" autocomplete="username" required maxlength="100" value="${escapeHtml(username)}"${focusUsername}></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"${focusPassword}></label>
  <button type="submit">Sign in</button>
</form>${message.demoHint}`,
    status,
    headers,
    // No "Sign in" button in the header above the sign-in form itself.
    "hidden",
  );
}

function flashNotice(ctx: RequestContext, code: NoticeCode): void {
  ctx.sessions.notice.flash("notice", code);
}

/** The notice flashed by the previous request, read once; an unknown code (an edited cookie) shows nothing. */
function noticeHtml(ctx: RequestContext): string {
  const code = ctx.sessions.notice.getFlash("notice");
  if (typeof code !== "string" || !Object.hasOwn(NOTICES, code)) return "";
  return `<p class="notice" role="status">${escapeHtml(NOTICES[code as NoticeCode])}</p>`;
}

/** The theme, if the preferences session has run; error pages must work without it. */
function themeOf(ctx: RequestContext): Theme | undefined {
  return (ctx as Partial<Pick<RequestContext, "sessions">>).sessions?.preferences?.data.theme;
}

function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * Every error a handler throws ends here: the one place that maps errors to
 * pages. Session errors are matched by their stable `code`, which holds even
 * when two copies of hattip-session are loaded.
 */
function handleErrors(ctx: RequestContext): void {
  ctx.handleError = (error) => {
    const theme = themeOf(ctx);
    if (error instanceof FormTooLargeError) {
      // The rest of the upload is never read: the client sees the 413 and stops sending.
      return errorPage(413, "The form was larger than this site accepts.", theme);
    }
    if (isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE") || error instanceof ThrottleUnavailableError) {
      return errorPage(503, "Sign-in is unavailable for a moment. Please try again shortly.", theme, { "retry-after": "5" });
    }
    console.error(error);
    return errorPage(500, "Something went wrong on our side. It has been logged.", theme);
  };
}
