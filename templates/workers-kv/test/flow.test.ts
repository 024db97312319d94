/**
 * The whole login flow over real HTTP against the worker running in
 * workerd, with sessions in the store wrangler.jsonc binds as SESSIONS.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CookieClient, setCookieNames } from "./support/client.js";
import { startApp, type RunningApp } from "./support/start-app.js";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

async function logIn(client: CookieClient): Promise<Response> {
  return client.post("/login", { username: "demo", password: "demo-password" });
}

function themeOf(html: string): string | undefined {
  return /<html[^>]*data-theme="([^"]+)"/.exec(html)?.[1];
}

describe("workers-kv template", () => {
  test("keeps each user's recent activity in a LOGIN_ATTEMPTS object of its own, capped at 20 entries", async () => {
    const client = new CookieClient(app.url);
    for (let time = 0; time < 22; time++) expect((await logIn(client)).status).toBe(303);
    const stored = await app.storedActivity("demo");
    expect(stored).toHaveLength(20);
    expect(stored.every((entry) => (entry as { kind?: string }).kind === "signed-in")).toBe(true);
    // Nothing of it names the user: the object is named by a keyed hash, and an entry holds a kind, a device and a time.
    expect(JSON.stringify(stored)).not.toContain("demo");
    expect(await app.storedActivity("nobody")).toEqual([]);
  });

  test("serves the home page and the login form", async () => {
    const client = new CookieClient(app.url);
    const home = await client.get("/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('href="/login"');
    const login = await client.get("/login");
    expect(login.status).toBe(200);
    const form = await login.text();
    expect(form).toContain('name="username"');
    expect(form).toContain('name="password"');
  });

  test("a wrong password gets 401, a clear message and no session", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/login", { username: "demo", password: "wrong-password" });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("Wrong username or password.");
    expect(setCookieNames(response)).not.toContain("session");
    const profile = await client.get("/profile");
    expect(profile.status).toBe(303);
    expect(profile.headers.get("location")).toBe("/login");
  });

  test("the profile needs a login, and shows the username after it", async () => {
    const client = new CookieClient(app.url);
    const before = await client.get("/profile");
    expect(before.status).toBe(303);
    expect(before.headers.get("location")).toBe("/login");

    const login = await logIn(client);
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/profile");

    const profile = await client.get("/profile");
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain('data-testid="username">demo<');
  });

  test("never adopts a planted session ID: login issues one of its own (no session fixation)", async () => {
    const victim = new CookieClient(app.url);
    const planted = "attacker-chosen-id-0123456789abcdefghijklmnopq";
    victim.cookies.set("session", planted);
    await logIn(victim);
    const issued = victim.cookies.get("session");
    expect(issued).toBeTruthy();
    expect(issued).not.toBe(planted);

    const attacker = new CookieClient(app.url);
    attacker.cookies.set("session", planted);
    expect((await attacker.get("/profile")).headers.get("location")).toBe("/login");
  });

  test("logging in again regenerates, and the replaced logged-in ID no longer works", async () => {
    const client = new CookieClient(app.url);
    await logIn(client);
    const firstId = client.cookies.get("session")!;
    await logIn(client);
    const secondId = client.cookies.get("session")!;
    expect(secondId).not.toBe(firstId);

    const replay = new CookieClient(app.url);
    replay.cookies.set("session", firstId);
    const profile = await replay.get("/profile");
    expect(profile.status).toBe(303);
    expect(profile.headers.get("location")).toBe("/login");
  });

  test("logout clears the session and replaying the old cookie fails", async () => {
    const client = new CookieClient(app.url);
    await logIn(client);
    const sessionId = client.cookies.get("session")!;

    const logout = await client.post("/logout", {});
    expect(logout.status).toBe(303);
    expect(logout.headers.get("location")).toBe("/");
    expect(setCookieNames(logout)).toContain("session");
    expect(client.cookies.has("session")).toBe(false);
    expect((await client.get("/profile")).status).toBe(303);

    const replay = new CookieClient(app.url);
    replay.cookies.set("session", sessionId);
    const profile = await replay.get("/profile");
    expect(profile.status).toBe(303);
    expect(profile.headers.get("location")).toBe("/login");
  });

  test("the theme preference round-trips, and a hand-edited preferences cookie gets the defaults", async () => {
    const client = new CookieClient(app.url);
    const saved = await client.post("/preferences", { theme: "dark" }, { referer: `${app.url}/profile` });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/profile");
    expect(themeOf(await (await client.get("/")).text())).toBe("dark");

    expect(decodeURIComponent(client.cookies.get("preferences")!)).toContain('{"theme":"dark"}');

    // A hand-edited cookie fails the schema: the theme follows the system again.
    client.cookies.set("preferences", encodeURIComponent(JSON.stringify({ theme: "purple" })));
    expect(themeOf(await (await client.get("/")).text())).toBeUndefined();
    client.cookies.set("preferences", encodeURIComponent(JSON.stringify({ theme: "dark", admin: true })));
    expect(themeOf(await (await client.get("/")).text())).toBeUndefined();
    client.cookies.set("preferences", "not json");
    expect(themeOf(await (await client.get("/")).text())).toBeUndefined();
  });

  test("a cross-site form post is refused with 403 and does not log in", async () => {
    const client = new CookieClient(app.url);
    const bySecFetchSite = await client.post(
      "/login",
      { username: "demo", password: "demo-password" },
      { "sec-fetch-site": "cross-site", origin: "https://attacker.example" },
    );
    expect(bySecFetchSite.status).toBe(403);
    expect(setCookieNames(bySecFetchSite)).toEqual([]);

    const byOrigin = await client.send("/login", {
      method: "POST",
      headers: { origin: "https://attacker.example", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "demo", password: "demo-password" }),
    });
    expect(byOrigin.status).toBe(403);
    expect((await client.get("/profile")).status).toBe(303);
  });
});
