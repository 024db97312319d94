/**
 * The shape of the app's three sessions, as valibot schemas (a few KiB in an
 * edge bundle), and the module augmentation that types `ctx.session` and
 * `ctx.sessions`. Each `session()` gets its schema, so whatever a store or a
 * browser hands back is checked before a handler sees it: data that does not
 * pass gives a fresh session with the defaults.
 */
// The augmented module must be in every program that checks this file: an augmentation alone does
// not load it, so a test that reaches this file without importing hattip-session would not compile.
import type {} from "hattip-session";
import * as v from "valibot";

export const Username = v.pipe(v.string(), v.minLength(1), v.maxLength(100));

/** The login session: present once the user has signed in. */
export const LoginSession = v.strictObject({
  username: v.optional(Username),
  /** When this session was created, at sign-in (ms since the epoch), for the profile page. */
  signedInAt: v.optional(v.number()),
  /**
   * A short fingerprint of the session ID the browser held before sign-in,
   * if it held a live one: the profile page shows that the ID changed.
   */
  replacedId: v.optional(v.pipe(v.string(), v.maxLength(16))),
});
export type LoginSession = v.InferOutput<typeof LoginSession>;

export const Theme = v.picklist(["light", "dark"]);
export type Theme = v.InferOutput<typeof Theme>;

/** The theme preference. No `theme`: follow the system's light or dark setting. */
export const Preferences = v.strictObject({ theme: v.optional(Theme) });
export type Preferences = v.InferOutput<typeof Preferences>;

/**
 * The notice session holds no data of its own, only flash values (a
 * one-time message for the next page). It lives in a cookie, so that a
 * visitor who is not signed in never causes a write to the server's store.
 */
export const NoticeSession = v.strictObject({});
export type NoticeSession = v.InferOutput<typeof NoticeSession>;

/** The one-time messages, by code: a cookie carries only the code, never text a client could choose. */
export const NOTICES = {
  "sign-in-required": "Please sign in to see your profile.",
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
