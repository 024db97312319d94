/**
 * The whole login flow over real HTTP, with the Edge Function running in
 * Vercel's edge-runtime. Login sessions live in an encrypted cookie, so
 * there is no server-side record to kill: the tests check what a cookie
 * store can promise, and pin what it cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieClient, setCookie } from "./support/cookie-client.js";
import { newSessionKey, startApp, type RunningApp } from "./support/start-app.js";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

const DEMO = { username: "demo", password: "demo-password" };

async function loggedIn(target = app): Promise<{ client: CookieClient; sessionCookie: string }> {
  const client = new CookieClient(target.url);
  const response = await client.post("/login", DEMO);
  expect(response.status).toBe(303);
  return { client, sessionCookie: client.jar.get("session")! };
}

describe("login", () => {
  it("refuses a wrong password with 401, a clear message and no session cookie", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/login", { username: "demo", password: "wrong" });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("Wrong username or password.");
    expect(setCookie(response, "session")).toBeUndefined();
  });

  it("writes a new session cookie at every login, and a planted cookie is no session", async () => {
    const { client, sessionCookie: first } = await loggedIn();
    const again = await client.post("/login", DEMO);
    expect(again.status).toBe(303);
    expect(setCookie(again, "session")?.value).not.toBe(first);
    const profile = await client.get("/profile");
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain('data-testid="username">demo<');

    const planted = new CookieClient(app.url);
    planted.jar.set("session", "attacker-chosen-value");
    expect((await planted.get("/profile")).headers.get("location")).toBe("/login");
  });

  it("treats a session cookie with one character changed as no session", async () => {
    const { sessionCookie } = await loggedIn();
    const middle = Math.floor(sessionCookie.length / 2);
    const flipped = sessionCookie[middle] === "A" ? "B" : "A";
    const client = new CookieClient(app.url);
    client.jar.set("session", sessionCookie.slice(0, middle) + flipped + sessionCookie.slice(middle + 1));
    const response = await client.get("/profile");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
  });

  it("does not accept a cookie encrypted under a key it does not hold, and accepts it again once the key is listed second (rotation)", async () => {
    const { sessionCookie } = await loggedIn();
    const rotated = await startApp({ env: { SESSION_KEYS: `${await newSessionKey()},${app.sessionKeys}` } });
    const stranger = await startApp();
    try {
      const client = new CookieClient(rotated.url);
      client.jar.set("session", sessionCookie);
      expect((await client.get("/profile")).status).toBe(200);
      const refused = new CookieClient(stranger.url);
      refused.jar.set("session", sessionCookie);
      expect((await refused.get("/profile")).headers.get("location")).toBe("/login");
    } finally {
      await rotated.stop();
      await stranger.stop();
    }
  });
});

describe("logout", () => {
  it("clears the session cookie, so the browser is logged out", async () => {
    const { client } = await loggedIn();
    const response = await client.post("/logout");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    expect(setCookie(response, "session")?.cleared).toBe(true);
    expect((await client.get("/profile")).headers.get("location")).toBe("/login");
  });

  it("cannot revoke a copy of the cookie taken before logout: it stays valid until it expires (the README's caveat)", async () => {
    const { client, sessionCookie } = await loggedIn();
    await client.post("/logout");
    const replay = new CookieClient(app.url);
    replay.jar.set("session", sessionCookie);
    expect((await replay.get("/profile")).status).toBe(200);
  });
});

describe("preferences", () => {
  it("switches the theme and redirects back to the page that posted it", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/preferences", { theme: "dark" }, { referer: `${app.url}/login` });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
    expect(await (await client.get("/")).text()).toContain('data-theme="dark"');
  });

  it("ignores a hand-edited preferences cookie and applies the defaults", async () => {
    for (const tampered of [
      encodeURIComponent(JSON.stringify({ theme: '"><script>alert(1)</script>' })),
      encodeURIComponent(JSON.stringify({ theme: "dark", admin: true })),
      "not-json",
    ]) {
      const client = new CookieClient(app.url);
      client.jar.set("preferences", tampered);
      const response = await client.get("/");
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body).not.toMatch(/<html[^>]*data-theme/);
      expect(body).not.toContain("<script>alert");
    }
  });
});

describe("CSRF", () => {
  it("refuses a cross-site login post with 403 and sets no session", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/login", DEMO, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(response.status).toBe(403);
    expect(client.jar.has("session")).toBe(false);
  });

  it("refuses a cross-site logout, judged by Origin alone when Sec-Fetch-Site is absent", async () => {
    const { client } = await loggedIn();
    const forged = await client.request("POST", "/logout", new URLSearchParams(), { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect((await client.get("/profile")).status).toBe(200);
  });
});

describe("configuration", () => {
  it("answers 500 with a generic page, not the secret or a stack, when SESSION_KEYS is missing", async () => {
    const unconfigured = await startApp({ env: { SESSION_KEYS: "" } });
    try {
      const response = await fetch(`${unconfigured.url}/`);
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(body).toContain("not configured");
      expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
    } finally {
      await unconfigured.stop();
    }
  });
});
