import { afterEach, describe, expect, it } from "vitest";
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { DEFAULT_LIFETIME_SECONDS, SignedCookieStore, UnsafeMemoryStore, session, type SessionOptions } from "../src/index.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { serve, type Served } from "./support/serve.js";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(options: Partial<SessionOptions> = {}) {
  served = await serveSessionApp({ store: new UnsafeMemoryStore(), ...options });
  return new CookieClient(served.url);
}

describe("session() over HTTP", () => {
  it("gives a visitor who never touches the session no Set-Cookie", async () => {
    const client = await start();
    const response = await client.get("/read");
    expect(JSON.parse(response.body)).toEqual({ data: {}, isFresh: true });
    expect(response.setCookies).toEqual([]);
  });

  it("saves a changed session and reads it back on the next request", async () => {
    const client = await start();
    await client.get("/increment");
    await client.get("/increment");
    const response = await client.get("/read");
    expect(JSON.parse(response.body)).toEqual({ data: { count: 2 }, isFresh: false });
  });

  it("sets HttpOnly, SameSite=Lax, Path=/ and a Max-Age in seconds equal to the lifetime", async () => {
    const client = await start();
    const [line] = (await client.get("/increment")).setCookies;
    const { name, attributes } = parseSetCookie(line!);
    expect(name).toBe("session");
    expect(attributes.get("max-age")).toBe(String(DEFAULT_LIFETIME_SECONDS));
    expect(attributes.has("httponly")).toBe(true);
    expect(attributes.get("samesite")?.toLowerCase()).toBe("lax");
    expect(attributes.get("path")).toBe("/");
    expect(attributes.has("secure")).toBe(false);
  });

  it("uses cookieOptions.maxAge, in seconds, as the lifetime", async () => {
    const client = await start({ cookieOptions: { maxAge: 90 } });
    const { attributes } = parseSetCookie((await client.get("/increment")).setCookies[0]!);
    expect(attributes.get("max-age")).toBe("90");
  });

  it("writes the session on an immutable Response.redirect() instead of answering 500", async () => {
    const client = await start({ store: new SignedCookieStore([await SignedCookieStore.generateKey()]) });
    const response = await client.get("/redirect-after-write");
    expect(response.status).toBe(302);
    expect(response.setCookies).toHaveLength(1);
    expect(JSON.parse((await client.get("/read")).body).data).toEqual({ count: 42 });
  });

  it("regenerate() issues a new ID, keeps the data and destroys the old ID at once", async () => {
    const client = await start();
    await client.get("/increment");
    const before = client.jar.get("session")!;
    const login = await client.get("/login?user=ada");
    expect(login.status).toBe(303);
    const after = client.jar.get("session")!;
    expect(after).not.toBe(before);
    expect(JSON.parse((await client.get("/read")).body).data).toEqual({ count: 1, user: "ada" });
    const replay = await client.get("/read", { headers: { cookie: `session=${before}` } });
    expect(JSON.parse(replay.body)).toEqual({ data: {}, isFresh: true });
  });

  it("answers verify() from the read it made, with no session cache: live for a loaded session, not for a fresh, unknown or ended one", async () => {
    const client = await start();
    expect(JSON.parse((await client.get("/verify")).body)).toEqual({ live: false });
    await client.get("/increment");
    const id = client.jar.get("session")!;
    expect(JSON.parse((await client.get("/verify")).body)).toEqual({ live: true });
    const unknown = await client.get("/verify", { headers: { cookie: "session=not-a-session-anyone-has" } });
    expect(JSON.parse(unknown.body)).toEqual({ live: false });
    await client.get("/logout");
    const ended = await client.get("/verify", { headers: { cookie: `session=${id}` } });
    expect(JSON.parse(ended.body)).toEqual({ live: false });
  });

  it("destroy() deletes the session and clears the cookie", async () => {
    const client = await start();
    await client.get("/increment");
    const old = client.jar.get("session")!;
    const logout = await client.get("/logout");
    expect(logout.status).toBe(303);
    expect(parseSetCookie(logout.setCookies[0]!).attributes.get("max-age")).toBe("0");
    expect(client.jar.has("session")).toBe(false);
    const replay = await client.get("/read", { headers: { cookie: `session=${old}` } });
    expect(JSON.parse(replay.body).isFresh).toBe(true);
  });

  it("fails the first request with a message naming cookie() when the cookie middleware is missing", async () => {
    served = await serve(
      compose(
        (ctx) => {
          ctx.handleError = (error) => new Response((error as Error).message, { status: 500 });
        },
        session({ store: new UnsafeMemoryStore() }),
        () => new Response("unreachable"),
      ),
    );
    const response = await new CookieClient(served.url).get("/");
    expect(response.body).toContain("app.use(cookie())");
  });

  it("works with getSessionId / setSessionId and no cookie middleware", async () => {
    served = await serve(
      compose(
        session({
          store: new UnsafeMemoryStore(),
          getSessionId: (ctx) => ctx.request.headers.get("x-session") ?? undefined,
          setSessionId: (_ctx, response, id) => {
            response.headers.set("x-session", id ?? "");
          },
        }),
        (ctx) => {
          ctx.session.data.count = (ctx.session.data.count ?? 0) + 1;
          return Response.json(ctx.session.data);
        },
      ),
    );
    const first = await fetch(served.url);
    const id = first.headers.get("x-session")!;
    const second = await fetch(served.url, { headers: { "x-session": id } });
    expect(await second.json()).toEqual({ count: 2 });
  });

  it("keeps no nested default object shared between requests", async () => {
    const defaults = { items: [] as string[] };
    const client = await start({ defaultSessionData: defaults });
    await client.get("/push?item=a");
    const other = new CookieClient(served!.url);
    expect(JSON.parse((await other.get("/read")).body).data).toEqual({ items: [] });
    expect(defaults.items).toEqual([]);
  });

  it("accepts cookie() with a named second session beside the default one", async () => {
    served = await serve(
      compose(
        cookie(),
        session({ store: new UnsafeMemoryStore() }),
        session({ name: "preferences", store: new UnsafeMemoryStore() } as never),
        (ctx) => {
          (ctx.sessions as Record<string, { data: Record<string, unknown> }>).preferences!.data.theme = "dark";
          ctx.session.data.count = 1;
          return new Response("ok");
        },
      ),
    );
    const response = await new CookieClient(served.url).get("/");
    expect(response.setCookies.map((line) => parseSetCookie(line).name).sort()).toEqual(["preferences", "session"]);
  });
});

describe("change detection", () => {
  it("saves a change deep inside a loaded session and stays silent when nothing changed", async () => {
    const client = await start();
    await client.get("/push?item=a");
    const nested = await client.get("/push?item=b");
    expect(nested.setCookies).toHaveLength(1);
    expect(JSON.parse((await client.get("/read")).body).data).toEqual({ items: ["a", "b"] });
    expect((await client.get("/read")).setCookies).toEqual([]);
  });
});
