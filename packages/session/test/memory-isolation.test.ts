/**
 * UnsafeMemoryStore hands every request a copy of its own, over real HTTP:
 * a handler's change reaches the stored session only through the write at
 * the end of its request, never through the object itself. Checked on both
 * ways a load makes its copy: the first load after a write parses the
 * stored text, later loads copy the parsed form the store keeps.
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
    case "/gated-push": {
      await gates.get(searchParams.get("gate")!)!.enter();
      (data.items ??= []).push(searchParams.get("item")!);
      return Response.json({ seen: data.items });
    }
    default:
      return sessionRoutes(ctx);
  }
};

async function start() {
  served = await serveSessionApp({ store: new UnsafeMemoryStore() }, routes);
  const browser = new CookieClient(served.url);
  await browser.get("/push?item=first");
  return browser;
}

const stored = async (browser: CookieClient) => JSON.parse((await browser.get("/read")).body).data;

// The first load after a write parses the text; the third and later copy the kept parse.
for (const [path, reads] of [
  ["the first load after a write", 0],
  ["a load that copies the kept parse", 3],
] as const) {
  describe(`UnsafeMemoryStore keeps each request's copy apart, on ${path}`, () => {
    it("a change to the loaded object that the request does not keep as its session changes nothing stored", async () => {
      const browser = await start();
      for (let i = 0; i < reads; i++) await stored(browser);
      expect((await browser.get("/change-discarded")).status).toBe(200);
      expect(await stored(browser)).toEqual({ items: ["first"] });
    });

    it("an object a handler kept, changed after the answer, changes nothing stored", async () => {
      const browser = await start();
      for (let i = 0; i < reads; i++) await stored(browser);
      await browser.get("/keep");
      const copy = kept.pop() as { items: string[]; count?: number };
      copy.items.push("after the answer");
      copy.count = 7;
      expect(await stored(browser)).toEqual({ items: ["first"] });
    });

    it("two requests at once each change their own copy, and the later write is what stays", async () => {
      const browser = await start();
      for (let i = 0; i < reads; i++) await stored(browser);
      const [a, b] = [new Gate(), new Gate()];
      gates.set(`a${reads}`, a);
      gates.set(`b${reads}`, b);
      // Both load the same session before either changes it.
      const first = browser.get(`/gated-push?gate=a${reads}&item=from-a`);
      const second = browser.get(`/gated-push?gate=b${reads}&item=from-b`);
      await Promise.all([a.entered, b.entered]);
      a.release();
      expect(JSON.parse((await first).body).seen).toEqual(["first", "from-a"]);
      b.release();
      // b's copy never saw a's change: each request had its own object.
      expect(JSON.parse((await second).body).seen).toEqual(["first", "from-b"]);
      expect(await stored(browser)).toEqual({ items: ["first", "from-b"] });
    });
  });
}
