/**
 * What the encrypted cookie store means for this app, over real HTTP
 * against the edge function in Deno: a logout cannot reach a copy of the
 * cookie, and without SESSION_KEYS the app refuses to run. The Blobs
 * variant has its own file of this name.
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

describe("netlify-edge template with an encrypted cookie store", () => {
  test("a copy of the cookie taken before logout still works until it expires (the cookie-store limit the README documents)", async () => {
    const client = new CookieClient(app.url);
    await logIn(client);
    const copied = client.cookies.get("session")!;
    await client.post("/logout", {});

    // Nothing server-side remembers the logout: this is why the README points to a server-side store for revocation.
    const replay = new CookieClient(app.url);
    replay.cookies.set("session", copied);
    expect((await replay.get("/profile")).status).toBe(200);
  });
});

describe("netlify-edge template without SESSION_KEYS", () => {
  let unconfigured: RunningApp;

  beforeAll(async () => {
    unconfigured = await startApp({ env: { SESSION_KEYS: "" } });
  });

  afterAll(async () => {
    await unconfigured?.stop();
  });

  test("answers 500 with a plain message, no stack, and does not crash", async () => {
    const response = await fetch(new URL("/", unconfigured.url), { signal: AbortSignal.timeout(30_000) });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toContain("The app is not configured yet.");
    expect(body).not.toContain("SESSION_KEYS");
    expect(body).not.toMatch(/at \S+ \(/);
    expect((await fetch(new URL("/login", unconfigured.url))).status).toBe(500);
  });
});
