/**
 * The requests a capacity plan counts, run in-process through the real
 * middleware and a real store: a signed-in user reading and writing, a
 * visitor logging in (its anonymous session bound to a user, which moves
 * it to a new ID), logging out, listing their devices and revoking one.
 * Each flow reports what the backend was asked per request, through a
 * counter the caller wraps around its client.
 */
import { compose, type RequestHandler } from "@hattip/compose";
import type { HattipHandler } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import { session, type SessionStore } from "hattip-session";
import { adapterContextFor } from "./context.js";
import { SESSION_MAX_AGE_SECONDS, typicalSession } from "./fixtures.js";

export const OPERATIONS = ["read", "write", "login", "logout", "list", "revoke"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** What a backend was asked during some requests: commands (or queries, or calls) and round trips. */
export interface BackendCounter {
  readonly commands: number;
  readonly roundTrips: number;
  reset(): void;
}

export interface OperationCost {
  operation: Operation;
  commandsPerRequest: number;
  roundTripsPerRequest: number;
  requests: number;
}

const DEVICE = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/** The session as these routes use it (the package's augmentable types are not augmented in the bench). */
interface UserSession {
  data: Record<string, unknown>;
  bindUser(userId: string): void;
  destroy(): Promise<void>;
  listSessions(): Promise<unknown[]>;
  revokeSession(handle: string): Promise<void>;
}

const userRoutes: RequestHandler = async (ctx) => {
  const s = (ctx as unknown as { session: UserSession }).session;
  const user = ctx.url.searchParams.get("user");
  switch (ctx.url.pathname) {
    case "/visit":
      s.data.cart = ["book"];
      return new Response("ok");
    case "/login":
      s.bindUser(user ?? "ada");
      Object.assign(s.data, typicalSession());
      return new Response("ok");
    case "/read":
      return new Response(String(s.data.name));
    case "/write":
      s.data.count = Number(s.data.count ?? 0) + 1;
      return new Response(String(s.data.count));
    case "/logout":
      await s.destroy();
      return new Response("ok");
    case "/sessions":
      return Response.json(await s.listSessions());
    case "/revoke":
      await s.revokeSession(ctx.url.searchParams.get("handle") ?? "");
      return new Response("ok");
    default:
      return new Response("not found", { status: 404 });
  }
};

/** A browser: its cookie jar, updated from each answer. */
class Browser {
  cookie = "";
  constructor(readonly app: HattipHandler) {}

  async get(path: string): Promise<string> {
    const headers: Record<string, string> = { "user-agent": DEVICE };
    if (this.cookie) headers.cookie = this.cookie;
    const response = await this.app(adapterContextFor(new Request(`http://app.test${path}`, { headers })));
    const body = await response.text();
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${body.slice(0, 200)}`);
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      this.cookie = /;\s*max-age=0\b/i.test(line) ? "" : pair;
    }
    return body;
  }
}

export function sessionApp(store: SessionStore): HattipHandler {
  return compose(cookie(), session({ store, cookieOptions: { maxAge: SESSION_MAX_AGE_SECONDS } }), userRoutes) as HattipHandler;
}

/** Signs in `count` users, one device each: what a store keeps per signed-in user. */
export async function signInUsers(app: HattipHandler, count: number, prefix = "user"): Promise<void> {
  for (let index = 0; index < count; index++) await new Browser(app).get(`/login?user=${prefix}-${index}`);
}

/**
 * Commands and round trips per request of each operation, over `requests`
 * users each: every user has two devices (a laptop and a phone), so that
 * listing shows two and the laptop can revoke the phone.
 */
export async function countOperations(app: HattipHandler, counter: BackendCounter, requests: number): Promise<OperationCost[]> {
  const costs: OperationCost[] = [];
  // User 0 runs each operation once, uncounted, so that a script's first run (EVAL, then cached) is not in the figures.
  const measure = async (operation: Operation, each: (index: number) => Promise<unknown>) => {
    await each(0);
    counter.reset();
    for (let index = 1; index <= requests; index++) await each(index);
    costs.push({ operation, commandsPerRequest: counter.commands / requests, roundTripsPerRequest: counter.roundTrips / requests, requests });
  };
  const laptops: Browser[] = [];
  const phones: Browser[] = [];
  const visitors: Browser[] = [];
  for (let index = 0; index <= requests; index++) {
    const [laptop, phone, visitor] = [new Browser(app), new Browser(app), new Browser(app)];
    for (const device of [laptop, phone]) {
      await device.get("/visit");
      await device.get(`/login?user=counted-${index}`);
    }
    await visitor.get("/visit");
    laptops.push(laptop);
    phones.push(phone);
    visitors.push(visitor);
  }
  await measure("read", (index) => laptops[index]!.get("/read"));
  await measure("write", (index) => laptops[index]!.get("/write"));
  await measure("login", (index) => visitors[index]!.get(`/login?user=fresh-${index}`));
  await measure("list", (index) => laptops[index]!.get("/sessions"));
  const handles: string[] = [];
  for (const laptop of laptops) {
    const listed = JSON.parse(await laptop.get("/sessions")) as { handle: string; current: boolean }[];
    handles.push(listed.find((entry) => !entry.current)!.handle);
  }
  await measure("revoke", (index) => laptops[index]!.get(`/revoke?handle=${handles[index]}`));
  await measure("logout", (index) => laptops[index]!.get("/logout"));
  return costs;
}
