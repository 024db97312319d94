/**
 * A listener cannot hurt a response: one that throws, one that rejects and
 * one that never settles leave every answer as it is without listeners
 * (status, headers, body, cookies), and none of them holds a request up.
 * Their errors are reported once per listener, or to `onListenerError`;
 * their promises go to the platform's `waitUntil`.
 */
import type { RequestContext } from "@hattip/compose";
import { compose, type RequestHandler } from "@hattip/compose";
import type { AdapterRequestContext } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import { afterEach, describe, expect, it, vi } from "vitest";
import { session, UnsafeMemoryStore, type SessionEvent, type SessionEventListeners, type SessionOptions } from "../src/index.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { serve, type Served } from "./support/serve.js";

const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
  vi.restoreAllMocks();
});

const routes: RequestHandler = async (ctx) => {
  const s = ctx.session;
  switch (ctx.url.pathname) {
    case "/write":
      s.data.count = (s.data.count ?? 0) + 1;
      return Response.json({ count: s.data.count }, { headers: { "x-app": "kept" } });
    case "/login":
      s.bindUser("ada");
      s.markAuthenticated();
      return Response.json({ user: "ada" });
    case "/revoke-others":
      await s.revokeOtherSessions();
      return Response.json({ revoked: true });
    case "/logout":
      await s.destroy();
      return Response.json({ out: true });
    default:
      return Response.json({ isFresh: s.isFresh, user: s.userId ?? null });
  }
};

declare module "../src/index.js" {
  interface SessionData {
    count?: number;
  }
}

/** Every request of a session's life, with a refused cookie among them: each kind of event fires at least once. */
const JOURNEY = ["/write", "/read", "/login", "/revoke-others", "/write", "/logout", "/read"] as const;

interface Answer {
  status: number;
  body: string;
  headers: [string, string][];
  cookies: { name: string; attributes: [string, string][] }[];
}

/** The journey through an app with `events`; a request that takes over 5 s fails the test rather than hanging it. */
async function journey(events?: SessionEventListeners): Promise<Answer[]> {
  const served = await serve(compose(cookie(), session({ store: new UnsafeMemoryStore(), events }), routes));
  running.push(served);
  const browser = new CookieClient(served.url);
  const answers: Answer[] = [];
  browser.jar.set("session", "refused-on-the-first-request");
  for (const path of JOURNEY) {
    const response = await Promise.race([
      browser.get(path),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${path} did not answer within 5 s`)), 5_000)),
    ]);
    answers.push({
      status: response.status,
      body: response.body,
      headers: [...response.headers].filter(([name]) => name !== "date" && name !== "set-cookie"),
      cookies: response.setCookies.map((line) => {
        const { name, attributes } = parseSetCookie(line);
        return { name, attributes: [...attributes] };
      }),
    });
  }
  return answers;
}

describe("a listener that fails", () => {
  it("changes no response when it throws, and each listener's error is written to the console once", async () => {
    const expected = await journey();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const heard: string[] = [];
    const answers = await journey({
      any: (event) => {
        heard.push(event.type);
        throw new Error("the audit log is down");
      },
      created: () => {
        throw new Error("created failed");
      },
    });
    expect(answers).toEqual(expected);
    expect(heard).toEqual(["cookieRefused", "created", "rotated", "bound", "sudoConfirmed", "revoked", "destroyed"]);
    // Two listeners failed, `any` seven times and `created` once: one line each.
    expect(errors.mock.calls.map(([message]) => message)).toEqual([
      'hattip-session: a "cookieRefused" event listener failed (its later errors are not logged):',
      'hattip-session: a "created" event listener failed (its later errors are not logged):',
    ]);
  });

  it("changes no response when it never settles, nor when it rejects, and onListenerError gets every error with its event", async () => {
    const expected = await journey();
    const failures: [unknown, SessionEvent["type"]][] = [];
    const never = await journey({ any: () => new Promise(() => {}) });
    expect(never).toEqual(expected);
    const rejecting = await journey({
      any: async (event) => {
        throw new Error(`no ${event.type}`);
      },
      onListenerError: (error, event) => void failures.push([(error as Error).message, event.type]),
    });
    expect(rejecting).toEqual(expected);
    await vi.waitFor(() => expect(failures).toHaveLength(7));
    expect(failures.map(([message]) => message)).toEqual(failures.map(([, type]) => `no ${type}`));
  });

  it("cannot break the response through onListenerError either", async () => {
    const expected = await journey();
    const answers = await journey({
      any: () => {
        throw new Error("first");
      },
      onListenerError: () => {
        throw new Error("second");
      },
    });
    expect(answers).toEqual(expected);
  });
});

describe("an async listener", () => {
  function adapterContext(request: Request, pending: Promise<unknown>[]): AdapterRequestContext {
    return {
      request,
      ip: "127.0.0.1",
      platform: { name: "test" },
      env: () => undefined,
      passThrough() {},
      waitUntil: (promise) => void pending.push(promise),
    };
  }

  it("is handed to the platform's waitUntil, which it outlives, and gets the request context beside the event", async () => {
    let finish!: () => void;
    const listenerDone = new Promise<void>((resolve) => (finish = resolve));
    const contexts: (RequestContext | undefined)[] = [];
    const options: SessionOptions = {
      store: new UnsafeMemoryStore(),
      events: {
        created: async (event, ctx) => {
          contexts.push(ctx);
          expect(Object.keys(event)).not.toContain("ctx");
          await listenerDone;
        },
      },
    };
    const handler = compose(cookie(), session(options), routes);
    const pending: Promise<unknown>[] = [];
    const response = await handler(adapterContext(new Request("http://app.test/write"), pending));
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toHaveLength(1);
    expect(pending).toHaveLength(1);
    expect(contexts[0]?.request.url).toBe("http://app.test/write");
    let settled = false;
    void pending[0]!.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    finish();
    await pending[0];
    expect(settled).toBe(true);
  });
});
