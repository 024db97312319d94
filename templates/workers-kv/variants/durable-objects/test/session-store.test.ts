/**
 * Where this app's login sessions live: Durable Objects of the class
 * SessionDurableObject (SESSIONS), one object per session, each with its
 * own SQLite storage; seen here as Miniflare's files on disk.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { CookieClient } from "./support/client.js";
import { startApp, type RunningApp } from "./support/start-app.js";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

test("a login creates one session object, and after logout its ID signs in nowhere", async () => {
  const client = new CookieClient(app.url);
  const before = (await app.storedSessions()).length;

  const login = await client.post("/login", { username: "demo", password: "demo-password" });
  expect(login.status).toBe(303);
  expect((await app.storedSessions()).length).toBe(before + 1);
  const sessionId = client.cookies.get("session")!;
  expect((await client.get("/profile")).status).toBe(200);

  expect((await client.post("/logout", {})).status).toBe(303);
  const replay = new CookieClient(app.url);
  replay.cookies.set("session", sessionId);
  const profile = await replay.get("/profile");
  expect(profile.status).toBe(303);
  expect(profile.headers.get("location")).toBe("/login");
});

test("the profile page and /health name Durable Objects as the store", async () => {
  const health = await fetch(`${app.url}/health`);
  expect(await health.json()).toMatchObject({ store: "Durable Objects", storeReachable: true });
});
