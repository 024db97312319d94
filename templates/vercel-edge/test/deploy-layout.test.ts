/**
 * What `vercel deploy` needs from a project with no framework: an Edge
 * Function under api/ and a rewrite that sends every path to it.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import * as edgeFunction from "../api/index.js";

describe("deploy layout", () => {
  it("declares api/index.ts an Edge Function with a default (request, context) handler", () => {
    expect(edgeFunction.config).toEqual({ runtime: "edge" });
    expect(typeof edgeFunction.default).toBe("function");
  });

  it("has a public/ folder, so Vercel serves only that folder as static files and never src/", async () => {
    await expect(readFile(new URL("../public/robots.txt", import.meta.url), "utf8")).resolves.toContain("User-agent");
  });

  it("rewrites every path to /api", async () => {
    const vercelJson = JSON.parse(await readFile(new URL("../vercel.json", import.meta.url), "utf8"));
    expect(vercelJson.rewrites).toEqual([{ source: "/(.*)", destination: "/api" }]);
  });
});
