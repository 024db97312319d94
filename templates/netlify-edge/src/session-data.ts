/**
 * The shape of both sessions, from zod schemas, and the module
 * augmentation that types `ctx.session.data` and `ctx.sessions.preferences.data`.
 */
import { z } from "zod";
import type { Preferences } from "./preferences.ts";

export const LoginSession = z.strictObject({
  /** Present once the user has signed in. */
  username: z.string().min(1).max(100).optional(),
  /** A one-time message for the next page, such as "Please sign in". */
  notice: z.string().max(200).optional(),
});
export type LoginSession = z.infer<typeof LoginSession>;

/** For a store's `parse` option: rejects anything the app did not write. */
export function parseLoginSession(text: string): LoginSession {
  return LoginSession.parse(JSON.parse(text));
}

declare module "hattip-session" {
  interface SessionData extends LoginSession {}
  interface NamedSessionData {
    preferences: Preferences;
  }
}
