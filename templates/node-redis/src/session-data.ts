/**
 * The shape of the app's three sessions, as zod schemas, and the module
 * augmentation that types `ctx.session` and `ctx.sessions`. Whatever a store
 * or a browser hands back is checked before a handler sees it: data that
 * does not pass gives a fresh session with the defaults.
 *
 * `zod/mini` is zod 4 with functions instead of methods (`z.optional(s)`,
 * `s.check(z.maxLength(16))`), so a bundler keeps only the checks the app
 * uses: a few KiB in an edge bundle, where the classic `zod` API adds
 * hundreds. Both are Standard Schemas; `session({ schema })` takes either.
 */
// The augmented module must be in every program that checks this file: an augmentation alone does
// not load it, so a test that reaches this file without importing hattip-session would not compile.
import type {} from "hattip-session";
import * as z from "zod/mini";

export const Username = z.string().check(z.minLength(1), z.maxLength(100));

/** The login session: present once the user has signed in. */
export const LoginSession = z.strictObject({
  username: z.optional(Username),
  /** When this session was created, at sign-in (ms since the epoch), for the profile page. */
  signedInAt: z.optional(z.number()),
  /**
   * A short fingerprint of the session ID the browser held before sign-in,
   * if it held a live one: the profile page shows that the ID changed.
   */
  replacedId: z.optional(z.string().check(z.maxLength(16))),
});
export type LoginSession = z.infer<typeof LoginSession>;

export const Theme = z.enum(["light", "dark"]);
export type Theme = z.infer<typeof Theme>;

/** The theme preference. No `theme`: follow the system's light or dark setting. */
export const Preferences = z.strictObject({ theme: z.optional(Theme) });
export type Preferences = z.infer<typeof Preferences>;

/**
 * The notice session holds no data of its own, only flash values (a
 * one-time message for the next page). It lives in a cookie, so that a
 * visitor who is not signed in never causes a write to the server's store.
 */
export const NoticeSession = z.strictObject({});
export type NoticeSession = z.infer<typeof NoticeSession>;

/** The one-time messages, by code: a cookie carries only the code, never text a client could choose. */
export const NOTICES = {
  "sign-in-required": "Please sign in to see your profile.",
  // Revoked from another device or expired: the same words for both, so the page tells an onlooker nothing more.
  "session-ended": "Your session has ended. Please sign in again.",
  "signed-out": "You have been signed out.",
  "device-signed-out": "Signed out that device.",
  "others-signed-out": "Signed out everywhere else.",
} as const;
export type NoticeCode = keyof typeof NOTICES;

declare module "hattip-session" {
  interface SessionData extends LoginSession {}
  interface NamedSessionData {
    preferences: Preferences;
    notice: NoticeSession;
  }
  interface NamedSessionFlashData {
    notice: { notice: NoticeCode };
  }
}
