/**
 * Cookie chunking in a real Chromium: the browser keeps every chunk the
 * server sets, sends them all back, and drops the ones a later response
 * expires. The app runs the built package through @hattip/adapter-node.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createMiddleware } from "@hattip/adapter-node";
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { EncryptedCookieStore, session } from "hattip-session";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/browser-chromium.js";

declare module "hattip-session" {
  interface SessionData {
    blob?: string;
  }
}

let browser: Browser;
let server: Server;
let origin: string;

beforeAll(async () => {
  const store = new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]);
  const app = compose(cookie(), session({ store, chunking: { maxChunks: 3 } }), async (ctx) => {
    const size = Number(ctx.url.searchParams.get("size") ?? "0");
    if (ctx.url.pathname === "/fill") ctx.session.data.blob = "x".repeat(size);
    if (ctx.url.pathname === "/logout") await ctx.session.destroy();
    const length = ctx.session.data.blob?.length ?? 0;
    return new Response(`<p id="length">${length}</p>`, { headers: { "content-type": "text/html" } });
  });
  server = createServer(createMiddleware(app));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe("a chunked session in Chromium", () => {
  it("is kept and sent back whole, and its stale chunks are dropped as it shrinks and ends", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const sessionCookies = async () =>
      (await context.cookies(origin))
        .map((entry) => entry.name)
        .filter((name) => name.startsWith("session"))
        .sort();
    const shownLength = async (path: string) => {
      await page.goto(`${origin}${path}`);
      return Number(await page.textContent("#length"));
    };

    expect(await shownLength("/fill?size=7000")).toBe(7000);
    expect(await sessionCookies()).toEqual(["session.0", "session.1", "session.2"]);
    // A new request carries every chunk: the server reads the whole session back.
    expect(await shownLength("/read")).toBe(7000);

    expect(await shownLength("/fill?size=4500")).toBe(4500);
    expect(await sessionCookies()).toEqual(["session.0", "session.1"]);
    expect(await shownLength("/read")).toBe(4500);

    expect(await shownLength("/fill?size=100")).toBe(100);
    expect(await sessionCookies()).toEqual(["session"]);
    expect(await shownLength("/read")).toBe(100);

    await shownLength("/fill?size=7000");
    await shownLength("/logout");
    expect(await sessionCookies()).toEqual([]);
    expect(await shownLength("/read")).toBe(0);
    await context.close();
  });
});
