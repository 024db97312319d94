/**
 * How the server starts without Redis, and what users see when Redis goes
 * away while it runs.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CookieClient } from "./support/cookie-client.js";
import { startApp, startServer } from "./support/start-app.js";

const TEMPLATE_DIR = fileURLToPath(new URL("..", import.meta.url));

describe("start-up", () => {
  it("refuses to start in production without REDIS_URL, saying what to set", async () => {
    const { REDIS_URL: _unset, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: TEMPLATE_DIR,
      env: { ...env, PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("REDIS_URL is not set");
  });

  it("runs in development without REDIS_URL on an in-memory store, with a loud warning", async () => {
    const server = await startServer({}, ["--dev"]);
    try {
      expect(server.output()).toContain("WARNING: REDIS_URL is not set");
      const client = new CookieClient(server.url);
      expect((await client.post("/login", { username: "demo", password: "demo-password" })).status).toBe(303);
      expect((await client.get("/profile")).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe("Redis outage", () => {
  it("answers 503 with a plain message, not a 500 with a stack, when Redis is down", async () => {
    const app = await startApp();
    try {
      const client = new CookieClient(app.url);
      expect((await client.post("/login", { username: "demo", password: "demo-password" })).status).toBe(303);
      await app.redis.stop();
      const response = await client.get("/profile");
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      const body = await response.text();
      expect(body).toContain("Sessions are unavailable");
      expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
    } finally {
      await app.stop();
    }
  });
});
