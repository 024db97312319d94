/**
 * The three routes every benchmark app serves, in Node (bench/apps.ts) and
 * in workerd (bench/workers-kv-worker.ts): what a real app's login, page
 * view and counter do to its session, and the no-session app's answers.
 */
import type { RequestContext } from "@hattip/compose";
import { typicalSession } from "./fixtures.js";

export interface SessionLike {
  data: Record<string, unknown>;
  regenerate?(): Promise<void>;
}

const sessionOf = (ctx: RequestContext) => (ctx as unknown as { session: SessionLike }).session;

export const routes: Record<string, (ctx: RequestContext) => Promise<Response> | Response> = {
  "/login": async (ctx) => {
    const session = sessionOf(ctx);
    // A login changes privilege: every library that can, gives the session a new ID.
    await session.regenerate?.();
    session.data = typicalSession();
    return new Response("logged in");
  },
  "/read": (ctx) => new Response(String(sessionOf(ctx).data.name ?? "anonymous")),
  "/write": (ctx) => {
    const data = sessionOf(ctx).data;
    data.count = Number(data.count ?? 0) + 1;
    return new Response(String(data.count));
  },
};

export const baselineRoutes: Record<string, () => Response> = {
  "/login": () => new Response("logged in"),
  "/read": () => new Response("anonymous"),
  "/write": () => new Response("1"),
};
