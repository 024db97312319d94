/**
 * What Netlify Blobs means for this app, over real HTTP against the edge
 * function in Deno with Netlify's own local Blobs server: a logout deletes
 * the session, and an unreachable Blobs gives 503s, not crashes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CookieClient, logIn } from "./support/client.ts";
import { startApp, type RunningApp } from "./support/start-app.ts";

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

describe("netlify-edge template with Netlify Blobs", () => {
  test("logout deletes the session from Blobs: a copy of the cookie taken before it no longer signs in", async () => {
    const client = new CookieClient(app.url);
    const before = (await app.storedSessions()).length;
    await logIn(client);
    expect((await app.storedSessions()).length).toBe(before + 1);
    const copied = client.cookies.get("session")!;
    // Blob keys are hashes: no key holds the session ID.
    expect((await app.storedSessions()).some((key) => key.includes(decodeURIComponent(copied)))).toBe(false);
    await client.post("/logout", {});
    expect((await app.storedSessions()).length).toBe(before);

    const replay = new CookieClient(app.url);
    replay.cookies.set("session", copied);
    expect((await replay.get("/profile")).status).toBe(303);
  });
});

describe("recent security activity in Netlify Blobs", () => {
  test("is one blob per user in the security-activity store, capped at 20 entries and expiring in 30 days, under a key that is no user name", async () => {
    const client = new CookieClient(app.url);
    for (let time = 0; time < 22; time++) expect((await logIn(client)).status).toBe(303);
    const logs = await app.storedActivity();
    expect(logs.length).toBeGreaterThan(0);
    for (const { key, blob } of logs) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(blob)).not.toContain("demo");
      const { entries, expiresAt } = blob as { entries: unknown[]; expiresAt: number };
      expect(entries.length).toBeLessThanOrEqual(20);
      expect(expiresAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    }
    expect(logs.some(({ blob }) => (blob as { entries: unknown[] }).entries.length === 20)).toBe(true);
  });
});

describe("netlify-edge template with its Blobs out of reach", () => {
  let cutOff: RunningApp;

  beforeAll(async () => {
    cutOff = await startApp();
  });

  afterAll(async () => {
    await cutOff?.stop();
  });

  test("answers a signed-in visitor 503 within the store's timeout, and /health says so", async () => {
    const client = new CookieClient(cutOff.url);
    expect((await logIn(client)).status).toBe(303);
    await cutOff.stopBlobs();
    const started = Date.now();
    const profile = await client.get("/profile");
    expect(profile.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(10_000);
    const health = await fetch(new URL("/health", cutOff.url), { signal: AbortSignal.timeout(30_000) });
    expect(health.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await health.json()).toMatchObject({ store: "Netlify Blobs", storeReachable: false });
  });
});
