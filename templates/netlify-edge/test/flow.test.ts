/**
 * The whole login flow over real HTTP against the edge function running in
 * Deno, whatever store keeps the login session; what depends on the store
 * is in session-store.test.ts, which each store variant brings its own of.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CookieClient, logIn, setCookieNames } from "./support/client.ts";
import { startApp, type RunningApp } from "./support/start-app.ts";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

function themeOf(html: string): string | undefined {
  return /<html[^>]*data-theme="([^"]+)"/.exec(html)?.[1];
}

/** The same cookie value with one character of its middle changed. */
function tampered(value: string): string {
  const index = Math.floor(value.length / 2);
  const replacement = value[index] === "A" ? "B" : "A";
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe("netlify-edge template", () => {
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

  test("every login writes a new session cookie", async () => {
    const client = new CookieClient(app.url);
    await logIn(client);
    const first = client.cookies.get("session");
    const login = await logIn(client);
    expect(setCookieNames(login)).toContain("session");
    expect(client.cookies.get("session")).not.toBe(first);
    expect((await client.get("/profile")).status).toBe(200);
  });

  test("a planted or tampered session cookie is refused: the visitor is logged out", async () => {
    const client = new CookieClient(app.url);
    await logIn(client);
    const genuine = client.cookies.get("session")!;

    const forged = new CookieClient(app.url);
    forged.cookies.set("session", tampered(genuine));
    expect((await forged.get("/profile")).status).toBe(303);
    forged.cookies.set("session", "attacker-chosen-value");
    expect((await forged.get("/profile")).status).toBe(303);

    const control = new CookieClient(app.url);
    control.cookies.set("session", genuine);
    expect((await control.get("/profile")).status).toBe(200);
  });

  test("logout clears the session cookie, so the browser is logged out", async () => {
    const client = new CookieClient(app.url);
    await logIn(client);

    const logout = await client.post("/logout", {});
    expect(logout.status).toBe(303);
    expect(logout.headers.get("location")).toBe("/");
    expect(setCookieNames(logout)).toContain("session");
    expect(client.cookies.has("session")).toBe(false);
    const profile = await client.get("/profile");
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

describe("netlify-edge template from its TypeScript sources, unbundled", () => {
  let unbundled: RunningApp;

  beforeAll(async () => {
    unbundled = await startApp({ source: true });
  });

  afterAll(async () => {
    await unbundled?.stop();
  });

  test("loads in Deno with npm packages from node_modules and signs in", async () => {
    const client = new CookieClient(unbundled.url);
    expect((await client.get("/login")).status).toBe(200);
    expect((await logIn(client)).status).toBe(303);
    const profile = await client.get("/profile");
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain('data-testid="username">demo<');
  });
});
