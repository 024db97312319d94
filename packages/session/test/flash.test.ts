/**
 * Flash messages over real HTTP, in every store: a value set on one request
 * is not visible on it, is read once on a later one, and costs no write
 * when nothing was flashed and nothing read.
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { afterEach, describe, expect, it } from "vitest";
import { session, SessionUnsupportedError, UnsignedCookieStore, type SessionStore } from "../src/index.js";
import { serveSessionApp, sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { useEveryStore } from "./support/every-store.js";
import { Gate } from "./support/gate.js";
import { serve, type Served } from "./support/serve.js";

declare module "../src/index.js" {
  interface NamedSessionData {
    notices: Record<string, never>;
  }
  interface NamedSessionFlashData {
    notices: { notice: string };
  }
}

const stores = useEveryStore();
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

async function start(store: SessionStore): Promise<CookieClient> {
  const served = await serveSessionApp({ store });
  running.push(served);
  return new CookieClient(served.url);
}

const json = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe.each(stores)("flash with $name", (kit) => {
  it("is not visible on the request that set it, then read once by the next", async () => {
    const client = await start(await kit.make());
    expect(json(await client.get("/flash?value=Saved"))).toEqual({ flashed: true, visibleNow: null });
    expect(json(await client.get("/take-flash"))).toEqual({ value: "Saved" });
    expect(json(await client.get("/take-flash"))).toEqual({ value: null });
  });

  it("keeps an unread value through requests that do not read it, including ones that write", async () => {
    const client = await start(await kit.make());
    await client.get("/flash?value=Later");
    await client.get("/read");
    await client.get("/increment");
    expect(json(await client.get("/take-flash"))).toEqual({ value: "Later" });
    expect(json(await client.get("/read")).data).toEqual({ count: 1 });
  });

  it("removes only what was read", async () => {
    const client = await start(await kit.make());
    await client.get("/flash?key=notice&value=one");
    await client.get("/flash?key=other&value=two");
    expect(json(await client.get("/take-flash?key=notice"))).toEqual({ value: "one" });
    expect(json(await client.get("/take-flash?key=notice"))).toEqual({ value: null });
    expect(json(await client.get("/take-flash?key=other"))).toEqual({ value: "two" });
  });

  it("costs no write and no Set-Cookie for a request that neither flashes nor reads, even with a value waiting", async () => {
    const client = await start(await kit.make());
    await client.get("/flash?value=Waiting");
    const before = await kit.writes?.();
    const response = await client.get("/read");
    expect(response.setCookies).toEqual([]);
    if (before !== undefined) expect(await kit.writes!()).toBe(before);
    expect(json(await client.get("/take-flash"))).toEqual({ value: "Waiting" });
  });

  it("gives the value to every request that loaded the session before it was read (no race between concurrent loaders)", async () => {
    const gates = [new Gate(), new Gate()];
    const served = await serveSessionApp({ store: await kit.make() }, async (ctx) => {
      if (ctx.url.pathname !== "/gated-take") return sessionRoutes(ctx);
      // Each request waits at its own gate: the order they reach the server in is not the order they were sent in.
      await gates[Number(ctx.url.searchParams.get("gate"))]!.enter();
      return Response.json({ value: ctx.session.getFlash("notice") ?? null });
    });
    running.push(served);
    const client = new CookieClient(served.url);
    await client.get("/flash?value=Both");
    const first = client.get("/gated-take?gate=0");
    const second = client.get("/gated-take?gate=1");
    await Promise.all(gates.map((gate) => gate.entered));
    gates[0]!.release();
    expect(json(await first)).toEqual({ value: "Both" });
    gates[1]!.release();
    expect(json(await second)).toEqual({ value: "Both" });
    expect(json(await client.get("/take-flash"))).toEqual({ value: null });
  });

  it("carries a value through regenerate(), and loses it with destroy()", async () => {
    const client = await start(await kit.make());
    await client.get("/flash?value=Welcome");
    await client.get("/login?user=ada");
    expect(json(await client.get("/take-flash"))).toEqual({ value: "Welcome" });
    await client.get("/flash?value=Gone");
    await client.get("/logout");
    expect(json(await client.get("/take-flash"))).toEqual({ value: null });
  });
});

describe("flash in a named session", () => {
  it("works like the default session's, typed by NamedSessionFlashData", async () => {
    const served = await serve(
      compose(cookie(), session({ name: "notices", store: new UnsignedCookieStore<Record<string, never>>(), defaultSessionData: {} }), (ctx) => {
        const notices = ctx.sessions.notices;
        if (ctx.url.pathname === "/set") notices.flash("notice", "Signed out");
        return Response.json({ value: ctx.url.pathname === "/get" ? (notices.getFlash("notice") ?? null) : null });
      }),
    );
    running.push(served);
    const client = new CookieClient(served.url);
    await client.get("/set");
    expect(client.jar.has("notices")).toBe(true);
    expect(json(await client.get("/get"))).toEqual({ value: "Signed out" });
    expect(json(await client.get("/get"))).toEqual({ value: null });
  });
});

describe("flash in a store written for @hattip/session (no records)", () => {
  it("refuses with a SessionUnsupportedError that says why", async () => {
    const map = new Map<string, unknown>();
    const legacy: SessionStore = {
      load: (id) => (map.get(id) as never) ?? null,
      save: (id, data) => {
        const key = id ?? crypto.randomUUID();
        map.set(key, data);
        return key;
      },
      destroy: (id) => void map.delete(id),
    };
    const errors: unknown[] = [];
    const served = await serve(
      compose(
        (ctx) => {
          ctx.handleError = (error) => (errors.push(error), new Response("error", { status: 500 }));
        },
        cookie(),
        session({ store: legacy }),
        sessionRoutes,
      ),
    );
    running.push(served);
    await new CookieClient(served.url).get("/flash?value=x");
    expect(errors[0]).toBeInstanceOf(SessionUnsupportedError);
    expect(String(errors[0])).toMatch(/loadRecord\/saveRecord/);
  });
});
