/**
 * Where this app's login sessions live: Workers KV (SESSIONS), read
 * straight from Miniflare's local namespace.
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

test("the login session lives in KV, and logout leaves nothing there that signs in", async () => {
  const client = new CookieClient(app.url);
  const marker = `"username":"demo"`;
  const liveLogins = async () => (await app.storedSessions()).filter((value) => /^3\./.test(value) && value.includes(marker)).length;
  const before = await liveLogins();

  await client.post("/login", { username: "demo", password: "demo-password" });
  expect(await liveLogins()).toBe(before + 1);

  await client.post("/logout", {});
  expect(await liveLogins()).toBe(before);
});
