/**
 * The load of the failover scenarios: autocannon against the node-redis
 * starter, each connection looping over sign in, read, sign out, sign in
 * again and read (logins, reads and logouts mixed), bounded by a request
 * count, a rate and a duration. It keeps a ledger of what the server
 * acknowledged: every login answered 303 with a session cookie, every
 * logout answered 303, so that afterwards each can be checked for being
 * lost (a kept login gone) or resurrected (an ended session working).
 */
import autocannon, { type Result } from "autocannon";
import { pause } from "./soak-harness.js";

/** The starter's cookie, possibly with a __Host- or __Secure- prefix. */
const SESSION_COOKIE = /^((?:__Host-|__Secure-)?session)=([^;]*)/i;
const DEMO_LOGIN = new URLSearchParams({ username: "demo", password: "demo-password" }).toString();

export interface LoadOptions {
  url: string;
  connections: number;
  /** Requests per second over all connections. */
  ratePerSecond: number;
  durationSeconds: number;
  maxRequests: number;
  /** A request unanswered this long counts as a timeout. */
  timeoutSeconds: number;
}

export interface Answer {
  /** When it arrived, ms since the epoch. */
  at: number;
  /** HTTP status, or 0 for a timeout or a connection error. */
  status: number;
  /** How long it took, ms (for a timeout: the autocannon timeout). */
  ms: number;
}

export interface SessionEntry {
  cookie: string;
  loggedInAt: number;
  /** A logout was sent for it (acknowledged or not): it is no longer a session the user keeps. */
  logoutSent: boolean;
  loggedOutAt?: number;
}

export interface LoadResult {
  answers: Answer[];
  sessions: Map<string, SessionEntry>;
  requests: number;
  timeouts: number;
  errors: number;
}

type Context = { cookie?: string; id?: string; address?: string };
type Headers = Record<string, string | string[]>;

export async function runMixedLoad(options: LoadOptions): Promise<LoadResult> {
  const answers: Answer[] = [];
  const sessions = new Map<string, SessionEntry>();
  const origin = new URL(options.url).origin;
  // Each round of the sequence comes from its own client address, as users behind a proxy do (the
  // starter runs with TRUST_PROXY=1): one address signing in as demo on every connection would be a
  // guessing bot to the starter's login throttle.
  let rounds = 0;
  const addressOf = (context: Context) => (context.address ??= `10.77.${(++rounds >> 8) & 255}.${rounds & 255}`);
  // A new object each time: autocannon writes Content-Length into the headers object it is given.
  const formHeaders = (context: Context) => ({
    "content-type": "application/x-www-form-urlencoded",
    origin,
    "sec-fetch-site": "same-origin",
    "x-forwarded-for": addressOf(context),
  });

  // One object per place in the sequence: autocannon keeps each request's built buffer on it.
  const login = () => ({
    method: "POST",
    path: "/login",
    body: DEMO_LOGIN,
    setupRequest(request: object, context: Context) {
      context.cookie = undefined;
      context.id = undefined;
      return { ...request, headers: formHeaders(context) };
    },
    onResponse(status: number, _body: string, context: Context, headers: Headers) {
      const found = sessionCookie(headers["set-cookie"]);
      if (status === 303 && found) {
        context.cookie = found.cookie;
        context.id = found.id;
        sessions.set(found.id, { cookie: found.cookie, loggedInAt: Date.now(), logoutSent: false });
      }
    },
  });
  const read = {
    method: "GET",
    path: "/profile",
    setupRequest(request: { headers?: Record<string, string> }, context: Context) {
      return { ...request, headers: { ...request.headers, cookie: context.cookie ?? "", "x-forwarded-for": addressOf(context) } };
    },
  };
  const logout = {
    method: "POST",
    path: "/logout",
    setupRequest(request: object, context: Context) {
      if (context.id) sessions.get(context.id)!.logoutSent = true;
      return { ...request, headers: { ...formHeaders(context), cookie: context.cookie ?? "" } };
    },
    onResponse(status: number, _body: string, context: Context) {
      const entry = context.id ? sessions.get(context.id) : undefined;
      if (status === 303 && entry) entry.loggedOutAt = Date.now();
      context.cookie = undefined;
      context.id = undefined;
    },
  };

  const result = await new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        overallRate: options.ratePerSecond,
        duration: options.durationSeconds,
        maxOverallRequests: options.maxRequests,
        timeout: options.timeoutSeconds,
        requests: [login(), read, logout, login(), { ...read }],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      answers.push({ at: Date.now(), status, ms });
    });
    instance.on("reqError", () => {
      answers.push({ at: Date.now(), status: 0, ms: options.timeoutSeconds * 1000 });
    });
  });
  return { answers, sessions, requests: result.requests.total, timeouts: result.timeouts, errors: result.errors };
}

export interface LedgerVerdict {
  /** Logins acknowledged and never logged out. */
  kept: number;
  /** Of those, the ones that no longer work. */
  lost: string[];
  /** Logouts acknowledged. */
  ended: number;
  /** Of those, the ones whose cookie works again. */
  resurrected: string[];
  /** Checks still answered 5xx after the retries (neither lost nor found). */
  unanswered: number;
}

/**
 * Asks the app, with each acknowledged session's cookie, whether it is
 * signed in (GET /profile: 200 signed in, 303 to /login signed out). A 5xx
 * is retried a few times: the question is what the store holds, not
 * whether it answers at this instant.
 */
export async function checkLedger(url: string, sessions: Map<string, SessionEntry>): Promise<LedgerVerdict> {
  const kept = [...sessions].filter(([, entry]) => !entry.logoutSent);
  const ended = [...sessions].filter(([, entry]) => entry.loggedOutAt !== undefined);
  let unanswered = 0;
  const signedIn = async (cookie: string): Promise<boolean | undefined> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await fetch(`${url}/profile`, { headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(10_000) }).catch(
        () => undefined,
      );
      await response?.body?.cancel();
      if (response?.status === 200) return true;
      if (response?.status === 303) return false;
      await pause(300);
    }
    unanswered++;
    return undefined;
  };
  const lost: string[] = [];
  const resurrected: string[] = [];
  await inBatches(kept, 8, async ([id, entry]) => {
    if ((await signedIn(entry.cookie)) === false) lost.push(id);
  });
  await inBatches(ended, 8, async ([id, entry]) => {
    if ((await signedIn(entry.cookie)) === true) resurrected.push(id);
  });
  return { kept: kept.length, lost, ended: ended.length, resurrected, unanswered };
}

/** Logs in as the demo user (outside the load) and returns the session's ID and cookie. */
export async function logIn(url: string): Promise<{ id: string; cookie: string }> {
  const origin = new URL(url).origin;
  const response = await fetch(`${url}/login`, {
    method: "POST",
    body: DEMO_LOGIN,
    headers: { "content-type": "application/x-www-form-urlencoded", origin, "sec-fetch-site": "same-origin" },
    redirect: "manual",
  });
  const found = sessionCookie(response.headers.getSetCookie());
  await response.body?.cancel();
  if (response.status !== 303 || !found) throw new Error(`Login failed with ${response.status}`);
  return found;
}

function sessionCookie(setCookie: string | string[] | undefined): { id: string; cookie: string } | undefined {
  for (const line of [setCookie ?? []].flat()) {
    const match = SESSION_COOKIE.exec(line);
    if (match?.[2]) return { id: match[2], cookie: `${match[1]}=${match[2]}` };
  }
  return undefined;
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(work));
  }
}
