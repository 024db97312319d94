/**
 * The `schema` option over real HTTP: any Standard Schema v1 validator
 * (zod 4, zod 3.25, valibot 1, arktype 2) checks what every store loads;
 * invalid data gives a fresh session with the defaults, never a 500.
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { type } from "arktype";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { z as z3 } from "zod3";
import { session, SessionSetupError, type SessionStore, type StandardSchemaV1 } from "../src/index.js";
import { CookieClient } from "./support/browser-like-client.js";
import { useEveryStore } from "./support/every-store.js";
import { serve, type Served } from "./support/serve.js";

const stores = useEveryStore();
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

/** The same rule in each library: a theme, and a visit count of at most 3. */
const validators: { name: string; schema: StandardSchemaV1<unknown, { theme: "light" | "dark"; visits: number }> }[] = [
  { name: "zod 4", schema: z.object({ theme: z.enum(["light", "dark"]), visits: z.number().int().max(3) }) },
  { name: "zod 3.25", schema: z3.object({ theme: z3.enum(["light", "dark"]), visits: z3.number().int().max(3) }) },
  { name: "valibot 1", schema: v.object({ theme: v.picklist(["light", "dark"]), visits: v.pipe(v.number(), v.integer(), v.maxValue(3)) }) },
  { name: "arktype 2", schema: type({ theme: "'light' | 'dark'", visits: "number.integer <= 3" }) },
];

async function serveWithSchema(store: SessionStore<unknown>, schema: StandardSchemaV1<unknown, { theme: "light" | "dark"; visits: number }>) {
  const preferences = session({ schema, store, defaultSessionData: { theme: "light", visits: 0 } });
  const served = await serve(
    compose(cookie(), preferences, (ctx) => {
      const s = preferences.of(ctx);
      if (ctx.url.pathname === "/visit") s.data.visits += 1;
      if (ctx.url.pathname === "/dark") s.data.theme = "dark";
      return Response.json({ data: s.data, isFresh: s.isFresh });
    }),
  );
  running.push(served);
  return new CookieClient(served.url);
}

const json = (response: { status: number; body: string }) => {
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as { data: unknown; isFresh: boolean };
};

describe.each(validators)("schema: $name", ({ schema }) => {
  it.each(stores.map((kit) => [kit.name, kit] as const))("%s: valid data loads, invalid data gives the defaults", async (_name, kit) => {
    const client = await serveWithSchema(await kit.make(), schema);
    await client.get("/dark");
    expect(json(await client.get("/visit"))).toEqual({ data: { theme: "dark", visits: 1 }, isFresh: false });
    await client.get("/visit");
    await client.get("/visit");
    // The handler wrote 4 visits, which the schema refuses on the next load: a fresh session, not a 500.
    await client.get("/visit");
    expect(json(await client.get("/read"))).toEqual({ data: { theme: "light", visits: 0 }, isFresh: true });
  });
});

describe("schema", () => {
  it("may be async", async () => {
    const slowCheck: StandardSchemaV1<unknown, { theme: "light" | "dark"; visits: number }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        async validate(value) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const candidate = value as { theme?: unknown; visits?: unknown };
          return candidate.theme === "light" || candidate.theme === "dark"
            ? { value: { theme: candidate.theme, visits: Number(candidate.visits) || 0 } }
            : { issues: [{ message: "theme" }] };
        },
      },
    };
    const client = await serveWithSchema(await stores[0]!.make(), slowCheck);
    await client.get("/dark");
    expect(json(await client.get("/read"))).toEqual({ data: { theme: "dark", visits: 0 }, isFresh: false });
  });

  it("hands the handler the schema's output (transforms and defaults applied)", async () => {
    const withDefaults = z.object({
      theme: z.enum(["light", "dark"]),
      visits: z
        .number()
        .default(0)
        .transform((n) => Math.min(n, 3)),
    });
    const client = await serveWithSchema(await stores[0]!.make(), withDefaults);
    await client.get("/dark");
    expect(json(await client.get("/visit")).data).toEqual({ theme: "dark", visits: 1 });
  });

  it("gives a fresh session when the validator throws", async () => {
    const throwing: StandardSchemaV1<unknown, { theme: "light" | "dark"; visits: number }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: () => {
          throw new Error("validator bug");
        },
      },
    };
    const client = await serveWithSchema(await stores[0]!.make(), throwing);
    await client.get("/dark");
    expect(json(await client.get("/read"))).toEqual({ data: { theme: "light", visits: 0 }, isFresh: true });
  });

  it("refuses something that is not a Standard Schema at setup", () => {
    expect(() => session({ schema: { parse: () => ({}) } as never, store: {} as never })).toThrow(SessionSetupError);
  });

  it("exposes a named schema session as ctx.sessions[name] too", async () => {
    const store = await stores[0]!.make();
    const named = session({ name: "prefs", schema: validators[0]!.schema, store, defaultSessionData: { theme: "light", visits: 0 } });
    const served = await serve(
      compose(cookie(), named, (ctx) => Response.json({ same: (ctx.sessions as Record<string, unknown>)["prefs"] === named.of(ctx) })),
    );
    running.push(served);
    expect(JSON.parse((await new CookieClient(served.url).get("/")).body)).toEqual({ same: true });
  });
});
