/**
 * Login -> profile -> theme -> logout in a real Chromium, for every
 * template. With UPDATE_SCREENSHOTS=1 the pages are saved to
 * templates/<name>/docs/ for the READMEs; otherwise nothing is written.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/browser-chromium.js";
import { BROWSER_TEMPLATES, type RunningTemplate } from "./support/browser-templates.js";

const SAVE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const PAGE_TIMEOUT_MS = 30_000;

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(BROWSER_TEMPLATES)("templates/$name in Chromium", ({ name, start }) => {
  let app: RunningTemplate;

  beforeAll(async () => {
    app = await start();
  });

  afterAll(async () => {
    await app?.stop();
  });

  async function screenshot(page: Page, file: string): Promise<void> {
    const image = await page.screenshot({ fullPage: true });
    expect(image.length).toBeGreaterThan(1000);
    if (!SAVE_SCREENSHOTS) return;
    const docs = fileURLToPath(new URL(`../templates/${name}/docs/`, import.meta.url));
    await mkdir(docs, { recursive: true });
    await writeFile(`${docs}${file}`, image);
  }

  it("signs in, shows the profile, switches the theme and signs out", async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 600 } });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
    try {
      await page.goto(`${app.url}/`);
      await expect.poll(() => page.locator("h1").textContent()).toBe("hattip-session starter");
      await screenshot(page, "home.png");

      // Logged out, the profile sends the browser to the login form.
      await page.goto(`${app.url}/profile`);
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(await page.locator(".notice").textContent()).toContain("Please sign in");

      await page.fill('input[name="username"]', "demo");
      await page.fill('input[name="password"]', "wrong password");
      const refused = await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign in")')]);
      expect(refused[0]?.status()).toBe(401);
      expect(await page.locator('[role="alert"]').textContent()).toBe("Wrong username or password.");
      await screenshot(page, "login-error.png");

      await page.fill('input[name="username"]', "demo");
      await page.fill('input[name="password"]', "demo-password");
      await Promise.all([page.waitForURL(`${app.url}/profile`), page.click('button:has-text("Sign in")')]);
      expect(await page.locator('[data-testid="username"]').textContent()).toBe("demo");
      const sessionCookie = (await context.cookies()).find((cookie) => cookie.name === "session");
      expect(sessionCookie?.httpOnly).toBe(true);
      expect(sessionCookie?.sameSite).toBe("Lax");
      await screenshot(page, "profile.png");

      // The theme form posts back to the same page, now dark.
      await Promise.all([page.waitForNavigation(), page.click('button:has-text("Switch to dark theme")')]);
      expect(new URL(page.url()).pathname).toBe("/profile");
      expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
      await screenshot(page, "profile-dark.png");

      await Promise.all([page.waitForURL(`${app.url}/`), page.click('main button:has-text("Sign out")')]);
      expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain("session");
      await page.goto(`${app.url}/profile`);
      expect(new URL(page.url()).pathname).toBe("/login");
      // The preference outlives the login.
      expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
    } finally {
      await context.close();
    }
  });

  it("refuses a form posted from another site", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    try {
      // A data: URL page is another origin; its auto-submitting form is what a CSRF attack looks like.
      const attack = `<form id="f" method="post" action="${app.url}/preferences"><input name="theme" value="dark"></form><script>document.getElementById("f").submit()</script>`;
      const [response] = await Promise.all([
        page.waitForResponse((candidate) => candidate.url() === `${app.url}/preferences`),
        page.goto(`data:text/html,${encodeURIComponent(attack)}`),
      ]);
      expect(response.status()).toBe(403);
      expect((await context.cookies(app.url)).some((cookie) => cookie.name === "preferences")).toBe(false);
    } finally {
      await context.close();
    }
  });
});
