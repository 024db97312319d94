/**
 * Every template in a real Chromium: the login flow at desktop width and on
 * a 375 px phone, the theme (following the system until the user picks
 * one), the pages a person meets on the way (themed errors, a favicon, no
 * stray 404), CSRF as a browser and a script would try it, and, where the
 * login store lists sessions, two browser contexts as two devices of one
 * user: how "Your sessions" lists them at 1280 px and on a 375 px phone,
 * one signs the other out, which is then told its session ended, and the
 * password prompt of sudo mode. With
 * UPDATE_SCREENSHOTS=1 the pages are saved to templates/<name>/docs/ for the
 * READMEs; otherwise nothing is written.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../starter/src/password.js";
import { launchChromium } from "./support/browser-chromium.js";
import { BROWSER_TEMPLATES, type RunningTemplate } from "./support/browser-templates.js";

const SAVE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const PAGE_TIMEOUT_MS = 30_000;
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
  return page;
}

/** Signs in (as demo unless told) through the form, as a person would. */
async function signIn(page: Page, url: string, user = { username: "demo", password: "demo-password" }): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('input[name="username"]', user.username);
  await page.fill('input[name="password"]', user.password);
  await Promise.all([page.waitForURL(`${url}/profile`), page.getByRole("button", { name: "Sign in" }).click()]);
}

/** Checks that the page rendered, and with UPDATE_SCREENSHOTS=1 saves it to templates/<name>/docs/ for the README. */
async function saveScreenshot(template: string, page: Page, file: string): Promise<void> {
  const image = await page.screenshot({ fullPage: true });
  expect(image.length).toBeGreaterThan(1000);
  if (!SAVE_SCREENSHOTS) return;
  const docs = fileURLToPath(new URL(`../templates/${template}/docs/`, import.meta.url));
  await mkdir(docs, { recursive: true });
  await writeFile(`${docs}${file}`, image);
}

describe.each(BROWSER_TEMPLATES)("templates/$name in Chromium", ({ name, start }) => {
  let app: RunningTemplate;

  beforeAll(async () => {
    app = await start();
  });

  afterAll(async () => {
    await app?.stop();
  });

  const screenshot = (page: Page, file: string) => saveScreenshot(name, page, file);

  it("signs in, shows the profile, switches the theme and signs out, with no failed request on the way", async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 }, colorScheme: "light" });
    const page = await newPage(context);
    const failed: string[] = [];
    page.on("response", (response) => {
      if (response.status() === 404) failed.push(response.url());
    });
    try {
      await page.goto(`${app.url}/`);
      await expect.poll(() => page.locator("h1").textContent()).toBe("hattip-session starter");
      expect(await page.locator('header a[href="/profile"]').count()).toBe(0);
      await screenshot(page, "home.png");

      // Signed out, the profile sends the browser to the login form, which says why.
      await page.goto(`${app.url}/profile`);
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(await page.locator(".notice").textContent()).toContain("Please sign in");

      await page.fill('input[name="username"]', "demo");
      await page.fill('input[name="password"]', "wrong password");
      const [refused] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
      expect(refused?.status()).toBe(401);
      expect(await page.locator('[role="alert"]').textContent()).toBe("Wrong username or password.");
      // The name stays, and the cursor waits in the password field.
      expect(await page.inputValue('input[name="username"]')).toBe("demo");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("password");
      await screenshot(page, "login-error.png");

      await page.fill('input[name="password"]', "demo-password");
      await Promise.all([page.waitForURL(`${app.url}/profile`), page.getByRole("button", { name: "Sign in" }).click()]);
      expect(await page.locator('[data-testid="username"]').textContent()).toBe("demo");
      expect(await page.locator('[data-testid="fingerprint"] code').first().textContent()).toMatch(/^[0-9a-f]{8}$/);
      expect(await page.getByRole("button", { name: "Sign out", exact: true }).count()).toBe(1);
      const sessionCookie = (await context.cookies()).find((cookie) => cookie.name === "session");
      expect(sessionCookie?.httpOnly).toBe(true);
      expect(sessionCookie?.sameSite).toBe("Lax");
      await screenshot(page, "profile.png");

      // The theme form posts back to the same page, now dark.
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Switch to dark theme" }).click()]);
      expect(new URL(page.url()).pathname).toBe("/profile");
      expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
      expect(await page.getByRole("button", { name: "Switch to light theme" }).isVisible()).toBe(true);
      await screenshot(page, "profile-dark.png");

      await Promise.all([page.waitForURL(`${app.url}/`), page.getByRole("button", { name: "Sign out", exact: true }).click()]);
      expect(await page.locator(".notice").textContent()).toBe("You have been signed out.");
      expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain("session");
      await page.goto(`${app.url}/profile`);
      expect(new URL(page.url()).pathname).toBe("/login");
      // The preference outlives the login.
      expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");

      // An unknown page is the site's own, in its theme, with a way back.
      const missing = await page.goto(`${app.url}/no/such/page`);
      expect(missing?.status()).toBe(404);
      expect(await page.locator("h1").textContent()).toBe("Page not found");
      expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
      await screenshot(page, "not-found.png");
      await Promise.all([page.waitForURL(`${app.url}/`), page.getByRole("link", { name: "Back to the home page" }).click()]);

      // No favicon or other request failed on the way.
      expect(failed.filter((url) => !url.endsWith("/no/such/page"))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("follows the system's dark setting until the user picks a theme", async () => {
    const context = await browser.newContext({ colorScheme: "dark" });
    const page = await newPage(context);
    try {
      await page.goto(`${app.url}/`);
      expect(await page.locator("html").getAttribute("data-theme")).toBeNull();
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe("rgb(20, 21, 24)");
      expect(await page.getByRole("button", { name: "Switch to light theme" }).isVisible()).toBe(true);
      expect(await page.getByRole("button", { name: "Switch to dark theme" }).isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });

  it("fits a 375 px phone: no sideways scroll, a one-line header, Sign out in view", async () => {
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await newPage(context);
    try {
      for (const signedIn of [false, true]) {
        if (signedIn) await signIn(page, app.url);
        else await page.goto(`${app.url}/login`);
        const layout = await page.evaluate(() => {
          const header = document.querySelector("header")!.getBoundingClientRect();
          const buttons = [...document.querySelectorAll("header button, header a")]
            .filter((element) => (element as HTMLElement).offsetParent !== null)
            .map((element) => {
              const box = element.getBoundingClientRect();
              return { text: element.textContent?.trim(), left: box.left, right: box.right, height: box.height };
            });
          return {
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            headerHeight: header.height,
            buttons,
          };
        });
        expect(layout.scrollWidth, JSON.stringify(layout)).toBeLessThanOrEqual(layout.clientWidth);
        expect(layout.headerHeight, JSON.stringify(layout)).toBeLessThanOrEqual(64);
        for (const button of layout.buttons) {
          expect(button.left, JSON.stringify(button)).toBeGreaterThanOrEqual(0);
          expect(button.right, JSON.stringify(button)).toBeLessThanOrEqual(PHONE.width);
          expect(button.height, JSON.stringify(button)).toBeLessThan(48);
        }
        if (signedIn) {
          expect(await page.getByRole("button", { name: "Sign out", exact: true }).isVisible()).toBe(true);
          await screenshot(page, "profile-phone.png");
        }
      }
    } finally {
      await context.close();
    }
  });

  it.each([
    ["at 1280 px", { viewport: DESKTOP }],
    ["on a 375 px phone", { viewport: PHONE, isMobile: true, hasTouch: true }],
  ])("the sign-in page %s: no Sign in button in its header, the demo credentials under the form (development only)", async (_width, options) => {
    const context = await browser.newContext(options);
    const page = await newPage(context);
    try {
      await page.goto(`${app.url}/`);
      expect(await page.locator('header a[href="/login"]').isVisible()).toBe(true);
      expect(await page.getByTestId("demo-hint").isVisible()).toBe(true);
      await page.goto(`${app.url}/login`);
      expect(await page.locator('header a[href="/login"]').count()).toBe(0);
      const hint = page.getByTestId("demo-hint");
      expect(await hint.isVisible()).toBe(true);
      expect(await hint.textContent()).toBe("Try it as demo / demo-password: a user for trying the app, on in development only.");
      // Under the form, where it is wanted, and inside the page's width.
      const form = await page.locator("main form").boundingBox();
      const box = await hint.boundingBox();
      expect(box!.y).toBeGreaterThanOrEqual(form!.y + form!.height);
      expect(box!.x + box!.width).toBeLessThanOrEqual(options.viewport.width);
    } finally {
      await context.close();
    }
  });

  it("tells a browser whose session ended, while it still holds the cookie, to sign in again", async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    try {
      await signIn(page, app.url);
      // A cookie that opens no session any more: to every store, that is what an expired or revoked one is.
      const held = (await context.cookies(app.url)).find((cookie) => cookie.name === "session")!;
      const last = held.value.at(-1) === "A" ? "B" : "A";
      await context.addCookies([{ ...held, value: `${held.value.slice(0, -1)}${last}` }]);
      await page.goto(`${app.url}/profile`);
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(await page.locator(".notice").textContent()).toBe("Your session has ended. Please sign in again.");
    } finally {
      await context.close();
    }
  });

  it("refuses a form posted from another site, with the site's own 403 page", async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    try {
      // A data: URL page is another origin; its auto-submitting form is what a CSRF attack looks like.
      const attack = `<form id="f" method="post" action="${app.url}/preferences"><input name="theme" value="dark"></form><script>document.getElementById("f").submit()</script>`;
      const [response] = await Promise.all([
        page.waitForResponse((candidate) => candidate.url() === `${app.url}/preferences`),
        page.goto(`data:text/html,${encodeURIComponent(attack)}`),
      ]);
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain('<header class="site">');
      expect((await context.cookies(app.url)).some((cookie) => cookie.name === "preferences")).toBe(false);
    } finally {
      await context.close();
    }
  });

  it("refuses a post that carries the browser's session cookie but no Origin or Sec-Fetch-Site, or Sec-Fetch-Site: none", async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    try {
      await signIn(page, app.url);
      // The context's request API shares the browser's cookies and sends neither header unless told to.
      const bare = await context.request.post(`${app.url}/logout`, { form: {}, maxRedirects: 0 });
      expect(bare.status()).toBe(403);
      const typed = await context.request.post(`${app.url}/logout`, { form: {}, headers: { "sec-fetch-site": "none" }, maxRedirects: 0 });
      expect(typed.status()).toBe(403);
      await page.goto(`${app.url}/profile`);
      expect(new URL(page.url()).pathname).toBe("/profile");
    } finally {
      await context.close();
    }
  });
});

/** Long enough to sign in and act; short enough to wait out in a test. */
const SUDO_WINDOW_SECONDS = 4;
const CAROL = { username: "carol", password: "a passphrase for two devices" };
const DAVE = { username: "dave", password: "another passphrase, two more devices" };
const PEGGY = { username: "peggy", password: "a passphrase for the activity log" };
const CHROME_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SAFARI_ON_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

describe.each(BROWSER_TEMPLATES.filter((template) => template.listsSessions))("templates/$name: two devices in Chromium", ({ name, start }) => {
  let app: RunningTemplate;

  beforeAll(async () => {
    // A user of this test's own, so that no other test's sessions show in the list.
    app = await start({
      USERS: `carol:${await hashPassword(CAROL.password)},dave:${await hashPassword(DAVE.password)},peggy:${await hashPassword(PEGGY.password)}`,
      SUDO_WINDOW_SECONDS: String(SUDO_WINDOW_SECONDS),
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it("lists this device first, marked and 'Active now', then the other, with relative times carrying the exact instant, at 1280 px and on a 375 px phone", async () => {
    const laptop = await browser.newContext({ viewport: DESKTOP, userAgent: CHROME_ON_LINUX });
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, userAgent: SAFARI_ON_IPHONE });
    try {
      const [a, b] = [await newPage(laptop), await newPage(phone)];
      const before = Date.now();
      await signIn(a, app.url, DAVE);
      await signIn(b, app.url, DAVE);
      for (const [page, self, other] of [
        [a, "Chrome on Linux", "Safari on iPhone"],
        [b, "Safari on iPhone", "Chrome on Linux"],
      ] as const) {
        await page.goto(`${app.url}/profile`);
        const rows = page.locator('[data-testid="session"]');
        expect(await rows.count()).toBe(2);
        const [first, second] = [rows.nth(0), rows.nth(1)];
        expect(await first.getAttribute("data-current")).toBe("");
        expect(await first.getByTestId("device").textContent()).toBe(self);
        expect(await first.locator(".this-device").textContent()).toBe("This device");
        expect(await first.locator('td[data-label="Last active"]').textContent()).toBe("Active now");
        expect(await second.getByTestId("device").textContent()).toBe(other);
        expect(await second.locator(".this-device").count()).toBe(0);

        // Relative words, with the instant in datetime and the exact time in the title the browser shows on hover.
        const times = await rows.locator("time").evaluateAll((elements) =>
          elements.map((element) => ({
            text: element.textContent,
            datetime: element.getAttribute("datetime"),
            title: element.getAttribute("title"),
          })),
        );
        expect(times).toHaveLength(3);
        for (const time of times) {
          expect(time.text).toBe("just now");
          expect(Date.parse(time.datetime ?? "")).toBeGreaterThanOrEqual(before - 1000);
          expect(Date.parse(time.datetime ?? "")).toBeLessThanOrEqual(Date.now());
          expect(time.title).toMatch(/^\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/);
        }
        // Rendered by the server: the page runs no script at all.
        expect(await page.locator("script").count()).toBe(0);

        const layout = await first.evaluate((row) => {
          const badge = row.querySelector(".this-device")!;
          const name = row.querySelector('[data-testid="device"]')!.getBoundingClientRect();
          const box = badge.getBoundingClientRect();
          return {
            badgeHeight: box.height,
            badgeLineHeight: Number.parseFloat(getComputedStyle(badge).lineHeight),
            sameLineAsName: box.top < name.bottom && box.bottom > name.top,
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
          };
        });
        // "This device" is one line, never "This / device".
        expect(layout.badgeHeight, JSON.stringify(layout)).toBeLessThan(layout.badgeLineHeight * 1.5);
        // At 1280 px, beside the device's name.
        if (page === a) expect(layout.sameLineAsName, JSON.stringify(layout)).toBe(true);
        expect(layout.scrollWidth, JSON.stringify(layout)).toBeLessThanOrEqual(layout.clientWidth);
      }
    } finally {
      await laptop.close();
      await phone.close();
    }
  });

  it("device B signs device A out, and A's next request lands on /login; then sudo mode asks B for the password first", async () => {
    // Headless Chromium names itself HeadlessChrome; these are the labels real visitors' devices get.
    const laptop = await browser.newContext({ userAgent: CHROME_ON_LINUX });
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, userAgent: SAFARI_ON_IPHONE });
    const [a, b] = [await newPage(laptop), await newPage(phone)];
    const rows = (page: Page) => page.locator('[data-testid="session"]');
    try {
      await signIn(a, app.url, CAROL);
      await signIn(b, app.url, CAROL);
      await expect.poll(() => rows(b).count()).toBe(2);
      const current = b.locator('[data-testid="session"][data-current]');
      expect(await current.getByTestId("device").textContent()).toBe("Safari on iPhone");
      expect(await current.locator(".this-device").textContent()).toBe("This device");
      expect(await b.locator('[data-testid="session"]:not([data-current])').getByTestId("device").textContent()).toBe("Chrome on Linux");
      await saveScreenshot(name, b, "sessions-phone.png");

      // B signed in a moment ago: the sign-out needs no password.
      const other = b.locator('[data-testid="session"]:not([data-current])');
      await Promise.all([b.waitForURL(`${app.url}/profile`), other.getByRole("button", { name: /^Sign out / }).click()]);
      expect(await b.locator(".notice").textContent()).toBe("Signed out that device.");
      expect(await rows(b).count()).toBe(1);

      // A still holds its cookie: it is told its session ended, not why.
      await a.goto(`${app.url}/profile`);
      expect(new URL(a.url()).pathname).toBe("/login");
      expect(await a.locator(".notice").textContent()).toBe("Your session has ended. Please sign in again.");

      // A signs in again; by the time B signs everyone else out, B's password is older than the window.
      await signIn(a, app.url, CAROL);
      await saveScreenshot(name, a, "sessions.png");
      await b.waitForTimeout(SUDO_WINDOW_SECONDS * 1000 + 300);
      await b.reload();
      expect(await rows(b).count()).toBe(2);
      await Promise.all([b.waitForLoadState(), b.getByRole("button", { name: "Sign out everywhere else" }).click()]);
      await expect.poll(() => b.locator("h1").textContent()).toBe("Confirm it is you");
      // Nothing happened yet: A is still signed in.
      await a.reload();
      expect(new URL(a.url()).pathname).toBe("/profile");
      await saveScreenshot(name, b, "confirm-password-phone.png");

      await b.fill('input[name="password"]', "not my password");
      const [refused] = await Promise.all([b.waitForNavigation(), b.getByRole("button", { name: "Confirm" }).click()]);
      expect(refused?.status()).toBe(401);
      expect(await b.locator('[role="alert"]').textContent()).toBe("Wrong password.");

      await b.fill('input[name="password"]', CAROL.password);
      await Promise.all([b.waitForURL(`${app.url}/profile`), b.getByRole("button", { name: "Confirm" }).click()]);
      expect(await b.locator(".notice").textContent()).toBe("Signed out everywhere else.");
      expect(await rows(b).count()).toBe(1);
      expect(await b.locator('[data-testid="username"]').textContent()).toBe("carol");

      await a.goto(`${app.url}/profile`);
      expect(new URL(a.url()).pathname).toBe("/login");
      // B stays signed in, with its sudo time renewed.
      await b.reload();
      expect(new URL(b.url()).pathname).toBe("/profile");
      expect(await b.locator(".notice").count()).toBe(0);
    } finally {
      await laptop.close();
      await phone.close();
    }
  });

  it("shows 'Recent security activity' newest first, each entry with its device and a relative time, at 1280 px and on a 375 px phone with no sideways scroll", async () => {
    const laptop = await browser.newContext({ viewport: DESKTOP, userAgent: CHROME_ON_LINUX });
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, userAgent: SAFARI_ON_IPHONE });
    const [a, b] = [await newPage(laptop), await newPage(phone)];
    try {
      const before = Date.now();
      await signIn(a, app.url, PEGGY);
      await signIn(b, app.url, PEGGY);
      // The phone signs the laptop out (its password is recent), and the laptop signs in again.
      const other = b.locator('[data-testid="session"]:not([data-current])');
      await Promise.all([b.waitForURL(`${app.url}/profile`), other.getByRole("button", { name: /^Sign out / }).click()]);
      await signIn(a, app.url, PEGGY);
      const expected = [
        { what: "Signed in", device: "Chrome on Linux" },
        { what: "Signed out another device", device: "Safari on iPhone" },
        { what: "Signed in", device: "Safari on iPhone" },
        { what: "Signed in", device: "Chrome on Linux" },
      ];
      for (const [page, width] of [
        [a, DESKTOP.width],
        [b, PHONE.width],
      ] as const) {
        await page.goto(`${app.url}/profile`);
        const heading = page.getByRole("heading", { name: "Recent security activity" });
        expect(await heading.isVisible()).toBe(true);
        // A list a screen reader announces as one, named by its heading.
        const section = page.getByRole("region", { name: "Recent security activity" });
        expect(await section.isVisible()).toBe(true);
        const items = section.getByRole("listitem");
        const shown = await items.evaluateAll((elements) =>
          elements.map((element) => ({
            what: element.querySelector('[data-testid="activity-what"]')?.textContent,
            device: element.querySelector('[data-testid="activity-device"]')?.textContent,
            datetime: element.querySelector("time")?.getAttribute("datetime"),
            text: element.querySelector("time")?.textContent,
            right: element.getBoundingClientRect().right,
            visible: element.getBoundingClientRect().height > 0,
          })),
        );
        expect(shown.map(({ what, device }) => ({ what, device }))).toEqual(expected);
        for (const entry of shown) {
          expect(entry.visible).toBe(true);
          expect(entry.text).toBe("just now");
          expect(Date.parse(entry.datetime ?? "")).toBeGreaterThanOrEqual(before - 1000);
          expect(entry.right, JSON.stringify(entry)).toBeLessThanOrEqual(width);
        }
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(scrollWidth).toBeLessThanOrEqual(width);
        if (page === b) await saveScreenshot(name, page, "activity-phone.png");
      }
    } finally {
      await laptop.close();
      await phone.close();
    }
  });
});
