/**
 * Sudo mode: signing out other devices is an action an attacker holding a
 * stolen, still-valid session would love, so it needs a password entered
 * recently (the session's `markAuthenticated()` time, set at sign-in and
 * on every confirmation). When it is older than the window, the app asks
 * for the password again on a page that carries the pending action, and
 * performs it once the password is right: the user stays signed in.
 */
import * as z from "zod/mini";
import { escapeHtml } from "./page.ts";
import { windowText } from "./time.ts";

/** Ten minutes, as the Copenhagen Book and better-auth's `freshAge` suggest for sensitive actions. */
export const DEFAULT_SUDO_WINDOW_SECONDS = 10 * 60;

/** The window from a setting (SUDO_WINDOW_SECONDS): a whole number of seconds from 1 to a day, or the default when unset. */
export function sudoWindowFromSetting(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_SUDO_WINDOW_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
    throw new Error(`SUDO_WINDOW_SECONDS must be a whole number of seconds from 1 to 86400, not "${value}".`);
  }
  return seconds;
}

/** A handle is 22 characters; anything up to this length is passed on, so a forged one answers as a real one. */
export const Handle = z.string().check(z.maxLength(200));

/** The sensitive actions, as their forms post them and the password page carries them on. */
export type SensitiveAction = { action: "revoke"; handle: string } | { action: "revoke-others" };

/** The password page's form: the password, and the action it carries on. */
export const ConfirmPasswordForm = z.object({
  action: z.enum(["revoke", "revoke-others"]),
  handle: z._default(Handle, ""),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});

const WHAT: Record<SensitiveAction["action"], string> = {
  revoke: "sign out that device",
  "revoke-others": "sign out everywhere else",
};

/** The password page: the pending action rides along in hidden fields, so nothing is kept on the server meanwhile. */
export function confirmPasswordHtml(options: { action: SensitiveAction; username: string; windowSeconds: number; error?: string }): string {
  const { action, username, windowSeconds, error } = options;
  const handle = action.action === "revoke" ? `<input type="hidden" name="handle" value="${escapeHtml(action.handle)}">` : "";
  const errorHtml = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : "";
  return `<h1>Confirm it is you</h1>${errorHtml}
<p>To ${WHAT[action.action]}, enter your password again: it has been more than ${windowText(windowSeconds)} since you last did. You stay signed in here.</p>
<form class="stacked" method="post" action="/confirm-password">
  <input type="hidden" name="action" value="${action.action}">${handle}
  <input type="text" name="username" value="${escapeHtml(username)}" autocomplete="username" hidden readonly>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024" autofocus></label>
  <button type="submit">Confirm</button>
</form>
<p><a href="/profile">Cancel</a></p>`;
}
