/**
 * The theme preference: harmless data, kept in a plain cookie the browser
 * can read and edit. Everything read back goes through the zod schema, so
 * a hand-edited cookie gives the defaults instead of reaching the pages.
 */
import { session, UnsignedCookieStore } from "hattip-session";
import { z } from "zod";

export const Theme = z.enum(["light", "dark"]);
export type Theme = z.infer<typeof Theme>;

export const Preferences = z.strictObject({ theme: Theme });
export type Preferences = z.infer<typeof Preferences>;

const ONE_YEAR_SECONDS = 31_536_000;

/** A named session: handlers read it as `ctx.sessions.preferences`. */
export function preferencesSession() {
  return session({
    name: "preferences",
    store: new UnsignedCookieStore<Preferences>({ parse: (text) => Preferences.parse(JSON.parse(text)) }),
    defaultSessionData: { theme: "light" },
    cookieOptions: { maxAge: ONE_YEAR_SECONDS },
  });
}
