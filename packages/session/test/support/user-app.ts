/**
 * An app that signs users in and out of their devices, the shape of every
 * test of a user's sessions: bind at login, list, revoke one, revoke the
 * others, and a `gate` query parameter that parks any request inside its
 * handler (its session loaded) until the test releases it.
 */
import { compose, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { isSessionError, session, type SessionOptions } from "../../src/index.js";
import type { Gate } from "./gate.js";
import { serve, type Served } from "./serve.js";

export const DEVICES = {
  laptop: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  phone: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  desktop: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
} as const;

export function userRoutes(gates: Map<string, Gate>): RequestHandler {
  return async (ctx) => {
    const { pathname, searchParams } = ctx.url;
    const s = ctx.session;
    const gate = searchParams.get("gate");
    if (gate !== null) await gates.get(gate)!.enter();
    switch (pathname) {
      case "/login": {
        const user = searchParams.get("user") ?? "ada";
        s.bindUser(user);
        s.data.user = user;
        return Response.json({ user });
      }
      case "/whoami":
        return Response.json({ user: s.userId ?? null, isFresh: s.isFresh });
      case "/touch":
        return Response.json({ isFresh: s.isFresh });
      case "/change":
        s.data.count = (s.data.count ?? 0) + 1;
        return Response.json({ count: s.data.count });
      case "/regenerate":
        await s.regenerate();
        return Response.json({ ok: true });
      case "/sessions":
        return Response.json(await s.listSessions());
      case "/revoke":
        await s.revokeSession(searchParams.get("handle") ?? "");
        return Response.json({ ok: true });
      case "/revoke-others":
        await s.revokeOtherSessions();
        return Response.json({ ok: true });
      case "/logout":
        await s.destroy();
        return Response.json({ ok: true });
      default:
        return new Response("not found", { status: 404 });
    }
  };
}

/** The app over real HTTP; a store error answers 501 (unsupported) or 503 (unavailable) with its code. */
export function serveUserApp(options: SessionOptions, gates = new Map<string, Gate>()): Promise<Served> {
  return serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) => {
          if (!isSessionError(error)) return new Response(`unexpected: ${String(error)}`, { status: 500 });
          const status = error.code === "ERR_SESSION_UNSUPPORTED" ? 501 : error.code === "ERR_SESSION_STORE_UNAVAILABLE" ? 503 : 500;
          return Response.json({ code: error.code, message: error.message }, { status });
        };
      },
      cookie(),
      session(options),
      userRoutes(gates),
    ),
  );
}
