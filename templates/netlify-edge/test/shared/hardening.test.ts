/**
 * What a starter must hold before anyone deploys it, checked over real HTTP
 * against the app in this platform's runtime: request bodies are counted as
 * they arrive, redirects stay on this site, cross-site and header-less
 * posts with cookies are refused, and a visitor who is not signed in costs
 * the server-side store nothing. (Shared by the four templates.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness } from "../support/harness.ts";
import type { HarnessApp } from "./harness.ts";
import { Client, LOGIN_COOKIE } from "./http.ts";

const DEMO = { username: "demo", password: "demo-password" };
let app: HarnessApp;

beforeAll(async () => {
  app = await harness.start();
});

afterAll(async () => {
  await app?.stop();
});

function client(address?: string): Client {
  return new Client(app.url, harness, address);
}

async function signedIn(): Promise<Client> {
  const browser = client();
  const reply = await browser.post("/login", DEMO);
  expect(reply.status).toBe(303);
  return browser;
}

describe("request bodies", () => {
  it("answers a chunked body with no Content-Length 413 once it passes 8 KiB, without waiting for the rest", async () => {
    // 4 KiB every 20 ms: the whole 16 MiB would take over a minute.
    const reply = await client().send("/login", {
      method: "POST",
      headers: { origin: app.url, "sec-fetch-site": "same-origin" },
      chunks: { size: 4 * 1024, total: 16 * 1024 * 1024, everyMs: 20 },
    });
    expect(reply.status).toBe(413);
    expect(reply.body).toContain("larger than this site accepts");
    // The reply came while the upload was still going: the body was not waited for.
    expect(reply.bytesSent).toBeLessThan(1024 * 1024);
  });

  it("answers a Content-Length over the limit 413 at once, before any body arrives", async () => {
    const reply = await client().send("/login", {
      method: "POST",
      headers: {
        origin: app.url,
        "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(1024 * 1024 * 1024),
      },
      bodyless: true,
    });
    expect(reply.status).toBe(413);
  });

  it("still reads a form just under the limit", async () => {
    const reply = await client().post("/login", { username: "demo", password: "wrong", padding: "x".repeat(7 * 1024) });
    expect(reply.status).toBe(401);
  });
});

describe("redirects after a form post", () => {
  it("go back to the posting page on this site", async () => {
    const reply = await client().post("/preferences", { theme: "dark" }, { referer: `${app.url}/login?from=header` });
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe("/login?from=header");
  });

  it.each([
    ["a protocol-relative path", "//evil.example/x"],
    ["a backslash path", "/\\evil.example/x"],
    ["three slashes", "///evil.example/x"],
  ])("never follow %s in the Referer", async (_what, path) => {
    const reply = await client().post("/preferences", { theme: "dark" }, { referer: `${app.url}${path}` });
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe("/");
  });

  it("never go to another site", async () => {
    const reply = await client().post("/preferences", { theme: "dark" }, { referer: "https://evil.example/phish" });
    expect(reply.headers.location).toBe("/");
  });
});

describe("CSRF", () => {
  it("refuses a post with a session cookie but neither Origin nor Sec-Fetch-Site, and the user stays signed in", async () => {
    const browser = await signedIn();
    const forged = await browser.send("/logout", { method: "POST", form: {} });
    expect(forged.status).toBe(403);
    expect((await browser.get("/profile")).status).toBe(200);
  });

  it("counts Sec-Fetch-Site: none as cross-site for a post", async () => {
    const browser = await signedIn();
    const forged = await browser.send("/logout", { method: "POST", form: {}, headers: { "sec-fetch-site": "none" } });
    expect(forged.status).toBe(403);
    expect((await browser.get("/profile")).status).toBe(200);
  });

  it("refuses a cross-site post, judged by Origin when Sec-Fetch-Site is absent", async () => {
    const browser = await signedIn();
    const forged = await browser.send("/logout", { method: "POST", form: {}, headers: { origin: "https://evil.example" } });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain("not sent from this site");
    expect((await browser.get("/profile")).status).toBe(200);
  });

  it("lets a client with no cookie and neither header post (curl, a script): it can act for nobody else", async () => {
    const script = client();
    const reply = await script.send("/login", { method: "POST", form: DEMO });
    expect(reply.status).toBe(303);
  });
});

describe("visitors who are not signed in", () => {
  it("cost the login store nothing: 1,000 cookie-less GET /profile store no session", async () => {
    const before = await app.storedSessions();
    for (let round = 0; round < 1000; round += 50) {
      const replies = await Promise.all(Array.from({ length: 50 }, () => client().get("/profile")));
      for (const reply of replies) {
        expect(reply.status).toBe(303);
        expect(reply.headers.location).toBe("/login");
        expect(reply.setCookies.has(LOGIN_COOKIE)).toBe(false);
      }
    }
    const after = await app.storedSessions();
    expect(after).toBe(before);
  });

  it("see why they were sent to the login page, once", async () => {
    const browser = client();
    await browser.get("/profile");
    const login = await browser.get("/login");
    expect(login.body).toContain("Please sign in to see your profile.");
    expect((await browser.get("/login")).body).not.toContain("Please sign in to see your profile.");
  });

  it("are told they signed out, on the page logout leads to", async () => {
    const browser = await signedIn();
    const logout = await browser.post("/logout");
    expect(logout.headers.location).toBe("/");
    expect(logout.setCookies.get(LOGIN_COOKIE)?.cleared).toBe(true);
    expect((await browser.get("/")).body).toContain("You have been signed out.");
  });

  it("see nothing from a hand-edited notice cookie but our own words", async () => {
    const browser = client();
    await browser.get("/profile");
    const genuine = browser.jar.get("notice")!;
    browser.jar.set("notice", genuine.replace("sign-in-required", "call-0800-scam"));
    const login = await browser.get("/login");
    expect(login.status).toBe(200);
    expect(login.body).not.toContain("call-0800-scam");
    expect(login.body).not.toContain('class="notice"');
  });
});
