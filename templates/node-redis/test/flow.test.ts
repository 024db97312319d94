/**
 * The whole login flow over real HTTP, against the real server process and
 * a real store (Redis, or the variant's): what a server-side store adds to the shared tests
 * (test/shared/): IDs that die at login and logout, keys that are not IDs.
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

async function loggedIn(): Promise<{ client: CookieClient; sessionId: string }> {
  const client = new CookieClient(app.url);
  const response = await client.post("/login", DEMO);
  expect(response.status).toBe(303);
  return { client, sessionId: client.jar.get("session")! };
}

describe("login", () => {
  it("refuses a wrong password with 401 and sets no login cookie", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/login", { username: "demo", password: "wrong" });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("Wrong username or password.");
    expect(setCookie(response, "session")).toBeUndefined();
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

  it("never adopts a planted session ID: login issues one of its own (no session fixation)", async () => {
    const victim = new CookieClient(app.url);
    const planted = "attacker-chosen-id-0123456789abcdefghijklmnopq";
    victim.jar.set("session", planted);
    const response = await victim.post("/login", DEMO);
    expect(response.status).toBe(303);
    const issued = setCookie(response, "session")?.value;
    expect(issued).toBeTruthy();
    expect(issued).not.toBe(planted);

    const attacker = new CookieClient(app.url);
    attacker.jar.set("session", planted);
    expect((await attacker.get("/profile")).headers.get("location")).toBe("/login");
  });

  it("kills the old ID when a signed-in browser signs in again", async () => {
    const { client, sessionId: firstId } = await loggedIn();
    const again = await client.post("/login", DEMO);
    expect(again.status).toBe(303);
    expect(client.jar.get("session")).not.toBe(firstId);
    const replay = new CookieClient(app.url);
    replay.jar.set("session", firstId);
    expect((await replay.get("/profile")).headers.get("location")).toBe("/login");
  });

  it("keeps sessions in the store, under keys that are not the session IDs", async () => {
    const { sessionId } = await loggedIn();
    const keys = await app.store.sessionKeys();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((key) => key.includes(decodeURIComponent(sessionId)))).toBe(false);
  });
});

describe("recent security activity", () => {
  it("keeps each user's log capped at 20 entries, expiring within 30 days, under a key that holds no user name", async () => {
    const client = new CookieClient(app.url);
    for (let time = 0; time < 22; time++) expect((await client.post("/login", DEMO)).status).toBe(303);
    const logs = await app.store.activityLogs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.some((log) => log.entries === 20)).toBe(true);
    for (const log of logs) {
      expect(log.entries).toBeLessThanOrEqual(20);
      expect(log.expiresInSeconds).toBeGreaterThan(29 * 86_400);
      expect(log.expiresInSeconds).toBeLessThanOrEqual(30 * 86_400);
      expect(log.key).not.toContain(DEMO.username);
      expect(log.stored).not.toContain(DEMO.username);
      expect(log.stored).toContain("signed-in");
    }
  });
});

describe("logout", () => {
  it("deletes the session from the store: the cookie is cleared and replaying the old one no longer signs in", async () => {
    const { client, sessionId } = await loggedIn();
    const sessionsBefore = (await app.store.sessionKeys()).length;
    const response = await client.post("/logout");
    expect(response.status).toBe(303);
    expect(setCookie(response, "session")?.cleared).toBe(true);
    expect((await app.store.sessionKeys()).length).toBe(sessionsBefore - 1);

    const replay = new CookieClient(app.url);
    replay.jar.set("session", sessionId);
    expect((await replay.get("/profile")).headers.get("location")).toBe("/login");
  });
});

describe("preferences", () => {
  it("switches the theme and keeps it across pages", async () => {
    const client = new CookieClient(app.url);
    const response = await client.post("/preferences", { theme: "dark" }, { referer: `${app.url}/login` });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
    expect(await (await client.get("/")).text()).toContain('data-theme="dark"');
  });

  it("ignores a hand-edited preferences cookie and follows the system theme", async () => {
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

  it("refuses a theme that is not light or dark", async () => {
    const client = new CookieClient(app.url);
    expect((await client.post("/preferences", { theme: "neon" })).status).toBe(400);
    expect(client.jar.has("preferences")).toBe(false);
  });
});
