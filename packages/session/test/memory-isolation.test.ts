/**
 * UnsafeMemoryStore hands every request a copy of its own, over real HTTP:
 * a handler's change reaches the stored session only through the write at
 * the end of its request, never through the object itself. Checked on
 * every way a load makes its copy: after a write of plain JSON data it
 * copies the copy the write kept; after a write of data JSON converts (a
 * Date) the first load parses the stored text, and from the second on
 * loads copy the parse the store keeps.
 */
import type { RequestHandler } from "@hattip/compose";
import { afterEach, describe, expect, it } from "vitest";
import { UnsafeMemoryStore } from "../src/index.js";
import { serveSessionApp, sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { Gate } from "./support/gate.js";
import type { Served } from "./support/serve.js";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** Objects handlers kept after answering. */
const kept: unknown[] = [];
const gates = new Map<string, Gate>();

const routes: RequestHandler = async (ctx) => {
  const { pathname, searchParams } = ctx.url;
  const data = ctx.session.data;
  switch (pathname) {
    case "/change-discarded":
      // The request keeps a fresh copy as its session, then changes the object it loaded: nothing to write.
      ctx.session.data = structuredClone(data);
      data.count = 999;
      (data.items ??= []).push("leaked");
      return Response.json({ ok: true });
    case "/keep":
      kept.push(data);
      return Response.json(data);
    case "/push-and-keep":
      // A write, whose object the handler keeps and changes after the answer.
      (data.items ??= []).push(searchParams.get("item")!);
      kept.push(data);
      return Response.json(data);
    case "/date":
      (data as { at?: Date }).at = new Date(0);
      return Response.json({ ok: true });
    case "/gated-push": {
      await gates.get(searchParams.get("gate")!)!.enter();
      (data.items ??= []).push(searchParams.get("item")!);
      return Response.json({ seen: data.items });
    }
    default:
      return sessionRoutes(ctx);
  }
};

/** A browser whose session holds `{ items: ["first"] }`, and with `withDate` a Date, which JSON writes as its ISO text. */
async function start(withDate: boolean) {
  served = await serveSessionApp({ store: new UnsafeMemoryStore() }, routes);
  const browser = new CookieClient(served.url);
  if (withDate) await browser.get("/date");
  await browser.get("/push?item=first");
  return browser;
}

const stored = async (browser: CookieClient) => JSON.parse((await browser.get("/read")).body).data;
const DATE_AS_JSON = new Date(0).toISOString();
const first = (withDate: boolean, items = ["first"]) => (withDate ? { at: DATE_AS_JSON, items } : { items });

for (const [path, withDate, reads] of [
  ["a load right after a write of plain JSON, which copies the write's copy", false, 0],
  ["a later load, which copies the same", false, 3],
  ["the first load after a write of a Date, which parses the stored text", true, 0],
  ["a load that copies the parse kept from the second load on", true, 3],
] as const) {
  describe(`UnsafeMemoryStore keeps each request's copy apart, on ${path}`, () => {
    it("a change to the loaded object that the request does not keep as its session changes nothing stored", async () => {
      const browser = await start(withDate);
      for (let i = 0; i < reads; i++) await stored(browser);
      expect((await browser.get("/change-discarded")).status).toBe(200);
      expect(await stored(browser)).toEqual(first(withDate));
    });

    it("an object a handler kept, changed after the answer, changes nothing stored", async () => {
      const browser = await start(withDate);
      for (let i = 0; i < reads; i++) await stored(browser);
      await browser.get("/keep");
      const copy = kept.pop() as { items: string[]; count?: number };
      copy.items.push("after the answer");
      copy.count = 7;
      expect(await stored(browser)).toEqual(first(withDate));
    });

    it("an object a handler wrote and kept, changed after the answer, changes nothing stored", async () => {
      const browser = await start(withDate);
      for (let i = 0; i < reads; i++) await stored(browser);
      await browser.get("/push-and-keep?item=second");
      const written = kept.pop() as { items: string[]; count?: number };
      written.items.push("after the answer");
      written.count = 7;
      expect(await stored(browser)).toEqual(first(withDate, ["first", "second"]));
      expect(await stored(browser)).toEqual(first(withDate, ["first", "second"]));
    });

    it("two requests at once each change their own copy, and the later write is what stays", async () => {
      const browser = await start(withDate);
      for (let i = 0; i < reads; i++) await stored(browser);
      const [a, b] = [new Gate(), new Gate()];
      const tag = `${withDate}${reads}`;
      gates.set(`a${tag}`, a);
      gates.set(`b${tag}`, b);
      // Both load the same session before either changes it.
      const earlier = browser.get(`/gated-push?gate=a${tag}&item=from-a`);
      const second = browser.get(`/gated-push?gate=b${tag}&item=from-b`);
      await Promise.all([a.entered, b.entered]);
      a.release();
      expect(JSON.parse((await earlier).body).seen).toEqual(["first", "from-a"]);
      b.release();
      // b's copy never saw a's change: each request had its own object.
      expect(JSON.parse((await second).body).seen).toEqual(["first", "from-b"]);
      expect(await stored(browser)).toEqual(first(withDate, ["first", "from-b"]));
    });
  });
}
