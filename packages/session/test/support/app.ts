/**
 * A small Hattip app around one session(), the shape every HTTP test uses:
 * routes that read, write, regenerate and destroy the session.
 */
import type { NodeAdapterOptions } from "@hattip/adapter-node";
import { compose, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { session, type SessionOptions } from "../../src/index.js";
import { serve, type Served } from "./serve.js";

declare module "../../src/index.js" {
  interface SessionData {
    count?: number;
    user?: string;
    items?: string[];
    blob?: string;
  }
  interface SessionFlashData {
    notice: string;
    other: string;
  }
}

type FlashKey = "notice" | "other";

export const sessionRoutes: RequestHandler = async (ctx) => {
  const { pathname, searchParams } = ctx.url;
  const s = ctx.session;
  switch (pathname) {
    case "/read":
      return Response.json({ data: s.data, isFresh: s.isFresh });
    case "/verify":
      return Response.json({ live: await s.verify() });
    case "/increment":
      s.data.count = (s.data.count ?? 0) + 1;
      return Response.json(s.data);
    case "/push":
      (s.data.items ??= []).push(searchParams.get("item") ?? "x");
      return Response.json(s.data);
    case "/blob":
      s.data.blob = "x".repeat(Number(searchParams.get("size")));
      return Response.json({ ok: true });
    case "/login":
      await s.regenerate();
      s.data.user = searchParams.get("user") ?? "demo";
      return Response.redirect(new URL("/read", ctx.url), 303);
    case "/logout":
      await s.destroy();
      return Response.redirect(new URL("/", ctx.url), 303);
    case "/flash":
      s.flash((searchParams.get("key") ?? "notice") as FlashKey, searchParams.get("value") ?? "");
      return Response.json({ flashed: true, visibleNow: s.getFlash((searchParams.get("key") ?? "notice") as FlashKey) ?? null });
    case "/take-flash":
      return Response.json({ value: s.getFlash((searchParams.get("key") ?? "notice") as FlashKey) ?? null });
    case "/authenticate":
      s.markAuthenticated();
      return Response.json({ authenticatedAt: s.authenticatedAt });
    case "/sudo":
      return Response.json({ within: s.authenticatedWithin(Number(searchParams.get("seconds"))), authenticatedAt: s.authenticatedAt ?? null });
    case "/redirect-after-write":
      s.data.count = 42;
      return Response.redirect(new URL("/read", ctx.url), 302);
    default:
      return new Response("not found", { status: 404 });
  }
};

export function serveSessionApp(
  options: SessionOptions,
  routes: RequestHandler = sessionRoutes,
  adapterOptions?: NodeAdapterOptions,
): Promise<Served> {
  return serve(compose(cookie(), session(options), routes), adapterOptions);
}
