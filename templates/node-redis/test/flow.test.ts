/**
 * The whole login flow over real HTTP, against the real server process and
 * a real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieClient, setCookie } from "./support/cookie-client.js";
import { startApp, type RunningApp } from "./support/start-app.js";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

const DEMO = { username: "demo", password: "demo-password" };

/** A client that visited /profile logged out, so it holds a pre-login session (with a "please sign in" notice). */
async function anonymousWithSession(): Promise<{ client: CookieClient; preLoginId: string }> {
  const client = new CookieClient(app.url);
  const response = await client.get("/profile");
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe("/login");
  const preLoginId = setCookie(response, "session")?.value;
  expect(preLoginId).toBeTruthy();
  return { client, preLoginId: preLoginId! };
}

async function loggedIn(): Promise<{ client: CookieClient; sessionId: string }> {
  const client = new CookieClient(app.url);
  const response = await client.post("/login", DEMO);
  expect(response.status).toBe(303);
  return { client, sessionId: client.jar.get("session")! };
}

describe("pages", () => {
  it("serves the home page and the login form with username and password fields", async () => {
    const client = new CookieClient(app.url);
    const home = await client.get("/");
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toMatch(/^text\/html/);
    const login = await (await client.get("/login")).text();
    expect(login).toContain('name="username"');
    expect(login).toContain('name="password"');
  });

  it("redirects /profile to /login when logged out, and says why on the login page", async () => {
    const { client } = await anonymousWithSession();
    expect(await (await client.get("/login")).text()).toContain("Please sign in to see your profile.");
  });
});

describe("login", () => {
  it("refuses a wrong password with 401, a clear message and no change to the session", async () => {
    const { client, preLoginId } = await anonymousWithSession();
    const response = await client.post("/login", { username: "demo", password: "wrong" });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("Wrong username or password.");
    expect(setCookie(response, "session")).toBeUndefined();
    expect(client.jar.get("session")).toBe(preLoginId);
    expect((await client.get("/profile")).headers.get("location")).toBe("/login");
  });

  it("refuses an unknown user and an empty form the same way", async () => {
    const client = new CookieClient(app.url);
    const attempts: Record<string, string>[] = [{ username: "nobody", password: "demo-password" }, {}];
    for (const fields of attempts) {
      const response = await client.post("/login", fields);
      expect(response.status).toBe(401);
      expect(await response.text()).toContain("Wrong username or password.");
    }
    expect(client.jar.has("session")).toBe(false);
  });

  it("issues a new session ID at login and kills the pre-login one (no session fixation)", async () => {
    const { client, preLoginId } = await anonymousWithSession();
    const response = await client.post("/login", DEMO);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/profile");
    const newId = setCookie(response, "session")?.value;
    expect(newId).toBeTruthy();
    expect(newId).not.toBe(preLoginId);

    const profile = await client.get("/profile");
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain('<strong data-testid="username">demo</strong>');

    // An attacker who planted or saw the pre-login ID gets nothing from it.
    const attacker = new CookieClient(app.url);
    attacker.jar.set("session", preLoginId);
    const replay = await attacker.get("/profile");
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe("/login");
  });

  it("keeps sessions in Redis, under keys that are not the session IDs", async () => {
    const { sessionId } = await loggedIn();
    const keys = (await app.redis.cli("KEYS", "*")).split("\n").filter(Boolean);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((key) => key.includes(decodeURIComponent(sessionId)))).toBe(false);
  });
});

describe("logout", () => {
  it("destroys the session: the cookie is cleared and replaying the old one no longer logs in", async () => {
    const { client, sessionId } = await loggedIn();
    const response = await client.post("/logout");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    expect(setCookie(response, "session")?.cleared).toBe(true);

    const replay = new CookieClient(app.url);
    replay.jar.set("session", sessionId);
    const profile = await replay.get("/profile");
    expect(profile.status).toBe(303);
    expect(profile.headers.get("location")).toBe("/login");
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

  it("never redirects to another site, whatever the Referer", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/preferences", { theme: "dark" }, { referer: "https://evil.example/phish" });
    expect(response.headers.get("location")).toBe("/");
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
      expect(body).toContain('data-theme="light"');
      expect(body).not.toContain("<script>");
    }
  });

  it("refuses a theme that is not light or dark", async () => {
    const client = new CookieClient(app.url);
    expect((await client.post("/preferences", { theme: "neon" })).status).toBe(400);
    expect(client.jar.has("preferences")).toBe(false);
  });
});

describe("CSRF", () => {
  it("refuses a cross-site login post with 403 and starts no session", async () => {
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

  it("refuses a same-site but cross-origin preferences post", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/preferences", { theme: "dark" }, { "sec-fetch-site": "same-site" });
    expect(response.status).toBe(403);
    expect(client.jar.has("preferences")).toBe(false);
  });
});
