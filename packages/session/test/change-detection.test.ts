/**
 * The default change detection writes a session exactly when the JSON of
 * its data changed. Where the store hands out a copy of data it keeps
 * unchanged (the memory store, from the second load after a write), the
 * middleware compares the handler's data with that copy instead of
 * stringifying it: `sameJson` must then answer as comparing the two JSON
 * texts would, or say it cannot tell.
 */
import type { RequestHandler } from "@hattip/compose";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { UnsafeMemoryStore } from "../src/index.js";
import { sameJson } from "../src/data-json.js";
import { parseJsonSafely, plainJsonCopy } from "../src/stores/serialization.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import type { Served } from "./support/serve.js";

const stringified = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
};

describe("sameJson", () => {
  it("answers true only where the JSON texts are equal, and false only where they differ", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.anything({ withDate: true, withMap: true, withNullPrototype: true, withSparseArray: true }), (json, other) => {
        const original = JSON.parse(JSON.stringify(json)) as unknown;
        for (const value of [other, JSON.parse(JSON.stringify(json)) as unknown]) {
          const same = sameJson(value, original);
          if (same === undefined) continue;
          expect(same).toBe(stringified(value) === JSON.stringify(original));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("always tells two values that JSON made, and tells them as their texts compare", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const [value, original] = [JSON.parse(JSON.stringify(a)) as unknown, JSON.parse(JSON.stringify(b)) as unknown];
        expect(sameJson(value, original)).toBe(JSON.stringify(value) === JSON.stringify(original));
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves to the JSON whatever JSON converts or drops", () => {
    const original = { at: "2026-01-01T00:00:00.000Z", n: null, items: [1] };
    expect(sameJson({ at: new Date(original.at), n: null, items: [1] }, original)).toBeUndefined();
    expect(sameJson({ at: original.at, n: Number.NaN, items: [1] }, original)).toBeUndefined();
    expect(sameJson({ at: original.at, n: null, items: [1], gone: undefined }, original)).toBeUndefined();
    expect(sameJson({ at: original.at, n: null, items: Object.assign([1], { toJSON: () => "x" }) }, original)).toBeUndefined();
  });

  it("tells keys in another order as another text", () => {
    expect(sameJson({ b: 1, a: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(sameJson({ b: 1, gone: undefined, a: 1 }, { a: 1, b: 1 })).toBeUndefined();
  });
});

/** Every object and array reachable from `value`. */
function objectsIn(value: unknown, found = new Set<object>()): Set<object> {
  if (typeof value === "object" && value !== null && !found.has(value)) {
    found.add(value);
    for (const child of Object.values(value)) objectsIn(child, found);
  }
  return found;
}

describe("plainJsonCopy, the copy the memory store keeps beside a write's text", () => {
  it("is what parsing the value's JSON gives, sharing no object with the value, or undefined", () => {
    fc.assert(
      fc.property(fc.anything({ withDate: true, withMap: true, withNullPrototype: true, withSparseArray: true, withObjectString: true }), (value) => {
        const copy = plainJsonCopy(value);
        if (copy === undefined) return;
        // Object.is tells -0 from 0, which JSON writes alike.
        expect(Object.is(copy, 0) || !Object.is(copy, -0)).toBe(true);
        expect(copy).toStrictEqual(parseJsonSafely(JSON.stringify(value)));
        const shared = [...objectsIn(copy)].filter((object) => objectsIn(value).has(object));
        expect(shared).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("copies everything JSON made, unless a key parsing would drop", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const value = JSON.parse(JSON.stringify(json)) as unknown;
        const text = JSON.stringify(value);
        if (/"(__proto__|constructor|prototype)":/.test(text)) return;
        expect(plainJsonCopy(value)).toStrictEqual(parseJsonSafely(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves to the text whatever JSON converts or drops, and the keys parsing drops", () => {
    const cases: unknown[] = [
      { at: new Date(0) },
      { n: Number.NaN },
      { gone: undefined },
      Object.assign(new Array(3), { 0: 1, 2: 3 }), // a hole at 1
      [undefined],
      { f: () => 1 },
      { list: Object.assign([1], { toJSON: () => "x" }) },
      new (class Point {
        x = 1;
      })(),
      JSON.parse('{"__proto__": {"admin": true}}'),
      { constructor: { prototype: 1 } },
    ];
    for (const value of cases) expect(plainJsonCopy(value), JSON.stringify(value) ?? String(value)).toBeUndefined();
    expect(Object.is((plainJsonCopy({ zero: -0 }) as { zero: number }).zero, 0)).toBe(true);
  });
});

describe("the memory store's writes follow the JSON of the data", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  const routes: RequestHandler = async (ctx) => {
    const data = ctx.session.data as Record<string, unknown>;
    switch (ctx.url.pathname) {
      case "/start":
        (ctx.session as { data: unknown }).data = { at: "2026-01-01T00:00:00.000Z", nested: { list: [1, 2] }, count: 1 };
        break;
      case "/bump":
        data.count = 2;
        break;
      case "/same-values":
        data.count = 2;
        (data.nested as { list: number[] }).list = [1, 2];
        break;
      case "/same-json":
        // A Date that JSON writes as the text already stored, and a key JSON drops.
        data.at = new Date("2026-01-01T00:00:00.000Z");
        data.dropped = undefined;
        break;
      case "/nested-change":
        (data.nested as { list: number[] }).list.push(3);
        break;
      case "/date-change":
        data.at = new Date("2027-01-01T00:00:00.000Z");
        break;
    }
    return Response.json(ctx.session.data);
  };

  /**
   * A signed-in browser whose session the store loads next `readsSinceWrite`
   * loads after its last write, a write the comparison with the kept copy
   * found (`/bump`). The store then holds the write's copy and no text: the
   * JSON the middleware compares, when it must, is made from that copy.
   */
  async function browserAfter(readsSinceWrite: number) {
    await served?.close();
    served = await serveSessionApp({ store: new UnsafeMemoryStore() }, routes);
    const browser = new CookieClient(served.url);
    expect((await browser.get("/start")).setCookies).toHaveLength(1);
    await browser.get("/read");
    expect((await browser.get("/bump")).setCookies).toHaveLength(1);
    for (let read = 0; read < readsSinceWrite; read++) await browser.get("/read");
    return browser;
  }

  describe.each([
    ["right after the write", 0],
    ["after two loads", 2],
  ])("%s", (_when, readsSinceWrite) => {
    it("writes nothing when the handler sets what was there, or what JSON writes as what was there", async () => {
      let browser = await browserAfter(readsSinceWrite);
      expect((await browser.get("/same-values")).setCookies).toEqual([]);
      browser = await browserAfter(readsSinceWrite);
      expect((await browser.get("/same-json")).setCookies).toEqual([]);
      expect(JSON.parse((await browser.get("/read")).body)).toEqual({ at: "2026-01-01T00:00:00.000Z", nested: { list: [1, 2] }, count: 2 });
    });

    it("writes a change deep in the data, and one JSON writes differently, and keeps them", async () => {
      const browser = await browserAfter(readsSinceWrite);
      expect((await browser.get("/nested-change")).setCookies).toHaveLength(1);
      for (let read = 0; read < readsSinceWrite; read++) await browser.get("/read");
      expect((await browser.get("/date-change")).setCookies).toHaveLength(1);
      expect(JSON.parse((await browser.get("/read")).body)).toEqual({ at: "2027-01-01T00:00:00.000Z", nested: { list: [1, 2, 3] }, count: 2 });
    });
  });
});
