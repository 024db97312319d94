/**
 * What Netlify deploys: the app function on every path, the rate-limit rule
 * on sign-in that Netlify enforces at its edge, and static files that the
 * app hands back to Netlify (checked in Deno, through the local server's
 * stand-in for Netlify's static hosting).
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as rateLimit from "../netlify/edge-functions/login-rate-limit.ts";
import { startApp, type RunningApp } from "./support/start-app.ts";

describe("netlify.toml and the edge functions", () => {
  it("routes every path to the app function", async () => {
    const toml = await readFile(new URL("../netlify.toml", import.meta.url), "utf8");
    expect(toml).toMatch(/\[\[edge_functions\]\]\s+path = "\/\*"\s+function = "app"/);
    expect(toml).toMatch(/publish = "public"/);
  });

  it("declares Netlify's rate limit on POST /login, per address and domain, as README.md states it, and passes the request on", () => {
    expect(rateLimit.config).toEqual({
      path: "/login",
      method: ["POST"],
      rateLimit: { windowLimit: 10, windowSize: 60, aggregateBy: ["ip", "domain"] },
    });
    expect(rateLimit.default()).toBeUndefined();
  });
});

describe("static files", () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });

  afterAll(async () => {
    await app?.stop();
  });

  it("are handed back to Netlify's static hosting when the app has no such page", async () => {
    const robots = await fetch(`${app.url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(robots.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await robots.text()).toContain("User-agent");
  });

  it("leave the app's own 404 page for a path that is neither", async () => {
    const missing = await fetch(`${app.url}/nothing-here.txt`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('<header class="site">');
  });
});
