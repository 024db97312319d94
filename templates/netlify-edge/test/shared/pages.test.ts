/**
 * The pages a person meets, over real HTTP in this platform's runtime: who
 * may sign in in development and in production, what the profile tells
 * about the session, and pages for errors, unknown paths and the favicon
 * that look like the rest of the site. (Shared by the four templates.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/password.ts";
import { harness } from "../support/harness.ts";
import type { HarnessApp } from "./harness.ts";
import { Client, LOGIN_COOKIE, type Reply } from "./http.ts";

const DEMO = { username: "demo", password: "demo-password" };
const ALICE = { username: "alice", password: "correct horse battery staple" };

let dev: HarnessApp;

beforeAll(async () => {
  dev = await harness.start();
});

afterAll(async () => {
  await dev?.stop();
});

function client(app = dev): Client {
  return new Client(app.url, harness);
}

describe("who may sign in", () => {
  it("in development: the demo user, and the home page and the sign-in page say so", async () => {
    const home = (await client().get("/")).body;
    // On the home page, under its Sign in button; on /login, under the form.
    expect(home).toMatch(/href="\/login">Sign in<\/a><\/p><p data-testid="demo-hint">Try it as <code>demo<\/code> \/ <code>demo-password<\/code>/);
    const login = (await client().get("/login")).body;
    expect(login).toMatch(
      /<button type="submit">Sign in<\/button>\n<\/form><p data-testid="demo-hint">Try it as <code>demo<\/code> \/ <code>demo-password<\/code>/,
    );
    // After a failed attempt too: that is when the hint is wanted most.
    expect((await client().post("/login", { username: "demo", password: "demo" })).body).toContain('data-testid="demo-hint"');
    expect((await client().post("/login", DEMO)).status).toBe(303);
  });

  it("in production: the USERS only; the published demo password is refused", async () => {
    const production = await harness.start({ mode: "production", env: { USERS: `alice:${await hashPassword(ALICE.password)}` } });
    try {
      expect((await client(production).get("/")).body).not.toContain("demo-password");
      expect((await client(production).get("/login")).body).not.toContain("demo-password");
      expect((await client(production).post("/login", DEMO)).status).toBe(401);
      expect((await client(production).post("/login", ALICE)).status).toBe(303);
    } finally {
      await production.stop();
    }
  });

  it("in production with ALLOW_DEMO_USER=1: the demo user too, because the deployer asked", async () => {
    const production = await harness.start({ mode: "production", env: { ALLOW_DEMO_USER: "1" } });
    try {
      expect((await client(production).post("/login", DEMO)).status).toBe(303);
    } finally {
      await production.stop();
    }
  });
});

describe("the login form", () => {
  it("has no Sign in button in the header above it, as every other page does while signed out", async () => {
    const header = (body: string) => /<header class="site">[\s\S]*?<\/header>/.exec(body)?.[0] ?? "";
    expect(header((await client().get("/")).body)).toContain('<a class="button" href="/login">Sign in</a>');
    const login = (await client().get("/login")).body;
    expect(header(login)).not.toContain('href="/login"');
    expect(header(login)).toContain('<a class="brand" href="/">');
    expect(header((await client().post("/login", { username: "demo", password: "nope" })).body)).not.toContain('href="/login"');
  });

  it("keeps the name and puts the cursor in the password field after a failed attempt", async () => {
    const reply = await client().post("/login", { username: "demo", password: "nope" });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatch(/<input name="username"[^>]*value="demo"/);
    expect(reply.body).toMatch(/<input name="password"[^>]*autofocus/);
    expect(reply.body).not.toMatch(/<input name="username"[^>]*autofocus/);
  });

  it("escapes the name it keeps", async () => {
    const reply = await client().post("/login", { username: '"><script>x</script>', password: "nope" });
    expect(reply.body).not.toContain("<script>x</script>");
  });
});

describe("the profile", () => {
  it("shows the session: where it is kept, when it was made and ends, and that its ID is new", async () => {
    const browser = client();
    const before = Date.now();
    await browser.post("/login", DEMO);
    const profile = await browser.get("/profile");
    expect(profile.status).toBe(200);
    const body = profile.body;
    expect(body).toMatch(/data-testid="username">demo</);
    expect(body).toMatch(/data-testid="store">[^<]*\w/);
    const created = Date.parse(/data-testid="created"><time datetime="([^"]+)"/.exec(body)?.[1] ?? "");
    expect(created).toBeGreaterThanOrEqual(before - 60_000);
    expect(created).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(body).toContain("7 days without a visit");
    const absolute = Date.parse(/data-testid="absolute"><time datetime="([^"]+)"/.exec(body)?.[1] ?? "");
    expect(absolute - created).toBe(30 * 24 * 60 * 60 * 1000);
    expect(body).toMatch(/data-testid="fingerprint">fingerprint <code>[0-9a-f]{8}<\/code>/);
    // The ID itself never appears in the page.
    expect(body).not.toContain(browser.jar.get(LOGIN_COOKIE));
  });

  it("says which ID a new sign-in replaced", async () => {
    const browser = client();
    await browser.post("/login", DEMO);
    await browser.post("/login", DEMO);
    expect((await browser.get("/profile")).body).toMatch(/replaced the ID <code>[0-9a-f]{8}<\/code>/);
  });

  it("names the user once in the page and has one button that signs this session out", async () => {
    const browser = client();
    await browser.post("/login", DEMO);
    const body = (await browser.get("/profile")).body;
    // Other devices, where the store lists them, have Sign out buttons of their own, which post elsewhere.
    expect(body.match(/action="\/logout"/g)).toHaveLength(1);
    expect(body.match(/Signed in as/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("is linked from the header only when signed in", async () => {
    expect((await client().get("/")).body).not.toContain('href="/profile"');
    const browser = client();
    await browser.post("/login", DEMO);
    expect((await browser.get("/")).body).toContain('href="/profile"');
  });
});

describe("a session that ended", () => {
  const noticeOf = (page: Reply) => /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.body)?.[1] ?? "";

  it("a browser still holding a login cookie that opens no session is told its session ended, in the same words whatever ended it", async () => {
    const held: Client[] = [];
    if (harness.listsSessions) {
      // A copy of the cookie of a session that a logout ended: the store no longer holds it.
      const original = client();
      await original.post("/login", DEMO);
      const copy = client();
      copy.jar.set(LOGIN_COOKIE, original.jar.get(LOGIN_COOKIE)!);
      await original.post("/logout");
      held.push(copy);
    }
    // A cookie the store cannot open: what an expired session's cookie is to any store, and what an
    // edited one is. (A cookie store cannot end a copy before it expires: its sessions live in browsers.)
    const edited = client();
    await edited.post("/login", DEMO);
    const value = edited.jar.get(LOGIN_COOKIE)!;
    edited.jar.set(LOGIN_COOKIE, `${value.slice(0, -4)}${value.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`);
    held.push(edited);

    for (const browser of held) {
      const landing = await browser.get("/profile");
      expect(landing.status).toBe(303);
      expect(landing.headers.location).toBe("/login");
      const login = await browser.get("/login");
      expect(noticeOf(login)).toBe("Your session has ended. Please sign in again.");
      expect(login.body).not.toContain("Please sign in to see your profile.");
    }
  });

  it("a browser that signed out, or never signed in, is asked to sign in, as before", async () => {
    const browser = client();
    await browser.post("/login", DEMO);
    await browser.post("/logout");
    for (const visitor of [browser, client()]) {
      await visitor.get("/profile");
      expect(noticeOf(await visitor.get("/login"))).toBe("Please sign in to see your profile.");
    }
  });
});

describe("the theme cookie", () => {
  it("is checked by its zod schema as it is read: an edited theme, an unknown key or broken JSON gives the system's setting", async () => {
    const browser = client();
    await browser.post("/preferences", { theme: "dark" });
    const genuine = browser.jar.get("preferences")!;
    expect((await browser.get("/")).body).toMatch(/<html lang="en" data-theme="dark">/);
    const edits = [
      genuine.replace("dark", "neon"),
      genuine.replace("%7D", "%2C%22admin%22%3Atrue%7D"),
      genuine.replace("%7D", ""),
      genuine.replace("%22theme%22", "%22__proto__%22%3A%7B%22theme%22%3A%22dark%22%7D%2C%22x%22"),
    ];
    for (const edited of edits) {
      expect(edited).not.toBe(genuine);
      browser.jar.set("preferences", edited);
      const page = await browser.get("/");
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/<html lang="en">/);
    }
  });
});

describe("pages for errors and the rest", () => {
  it("answers an unknown path with a 404 page in the site's layout and theme, with a way back", async () => {
    const browser = client();
    await browser.post("/preferences", { theme: "dark" });
    const reply = await browser.get("/no/such/page");
    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toMatch(/^text\/html/);
    expect(reply.body).toContain('data-theme="dark"');
    expect(reply.body).toContain('<header class="site">');
    expect(reply.body).toContain('href="/">Back to the home page');
  });

  it("styles the 403 and 400 pages the same way", async () => {
    const forbidden = await client().post("/preferences", { theme: "dark" }, { "sec-fetch-site": "cross-site" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toContain('<header class="site">');
    const bad = await client().post("/preferences", { theme: "neon" });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<header class="site">');
  });

  it("follows the system's light or dark setting until the user picks a theme", async () => {
    const body = (await client().get("/")).body;
    expect(body).not.toMatch(/<html[^>]*data-theme/);
    expect(body).toContain("prefers-color-scheme: dark");
  });

  it("serves the favicon every page links to", async () => {
    expect((await client().get("/")).body).toContain('<link rel="icon" href="/favicon.svg"');
    const icon = await client().get("/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers["content-type"]).toBe("image/svg+xml");
    expect(icon.body).toContain("<svg");
  });

  it("reports its health, and the login store's", async () => {
    const reply = await client().get("/health");
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: "ok", storeReachable: true });
  });
});
