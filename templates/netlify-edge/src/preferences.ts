/**
 * The two cookie sessions beside the login session, both harmless data the
 * browser may read and edit, checked by their zod schemas on every read:
 *
 * - `preferences`: the theme, for a year.
 * - `notice`: one-time messages ("Please sign in", "You have been signed
 *   out") as flash values, for ten minutes at most. Kept in a cookie, not in
 *   the login session, so that a visitor who is not signed in causes no
 *   write to the server's store, and so that a logout, which ends the login
 *   session, can still leave a message. The cookie holds a code; the text
 *   comes from NOTICES, so an edited cookie can show nothing but our own words.
 */
import { session, UnsignedCookieStore } from "hattip-session";
import { NoticeSession, Preferences } from "./session-data.ts";

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const TEN_MINUTES_SECONDS = 10 * 60;

/**
 * The cookie's JSON, checked: what a browser sends back may be anything, so
 * only data the schema accepts becomes the session. A throw (bad JSON, a
 * wrong theme, a key the schema does not know) gives a fresh session.
 */
function parsePreferences(json: string): Preferences {
  return Preferences.parse(JSON.parse(json));
}

/** Read in handlers as `ctx.sessions.preferences`. */
export function preferencesSession() {
  return session({
    name: "preferences",
    // The store checks the cookie as it reads it, the pattern of @hattip/session's UnsignedCookieStore.
    // `schema: Preferences` on session() is the better choice when the data may live in any store
    // (a server-side one too), when the validator is async, or to type `data` from the schema
    // without the module augmentation of session-data.ts: it checks whatever any store loads.
    store: new UnsignedCookieStore<Preferences>({ parse: parsePreferences }),
    defaultSessionData: {},
    cookieOptions: { maxAge: ONE_YEAR_SECONDS },
  });
}

/** Read in handlers as `ctx.sessions.notice`: `flash("notice", code)` now, `getFlash("notice")` on the next page. */
export function noticeSession() {
  return session({
    name: "notice",
    schema: NoticeSession,
    store: new UnsignedCookieStore(),
    defaultSessionData: {},
    cookieOptions: { maxAge: TEN_MINUTES_SECONDS },
    // A fixed ten minutes from the flash, not renewed by reading.
    rolling: false,
  });
}
