/**
 * What `wrangler deploy` would upload, and what a deployed worker does
 * before anyone has set it up: checked offline with wrangler's own dry run
 * and in workerd.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startApp } from "./support/start-app.js";

const run = promisify(execFile);
const TEMPLATE_DIR = fileURLToPath(new URL("..", import.meta.url));

describe("wrangler deploy --dry-run", () => {
  it("bundles the worker with its KV and Durable Object bindings, under 150 KiB before compression", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "workers-kv-dry-run-"));
    try {
      const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
      const { stdout, stderr } = await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
        cwd: TEMPLATE_DIR,
        env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
        timeout: 120_000,
      });
      const output = stdout + stderr;
      expect(output).toContain("env.SESSIONS");
      expect(output).toContain("env.LOGIN_ATTEMPTS (LoginAttempts)");
      const size = (await stat(join(outdir, "worker.js"))).size;
      // README.md states the size; zod's classic API alone made it 816 KiB.
      expect(size).toBeLessThan(150 * 1024);
      // Minified (wrangler.jsonc): the class keeps its exported name, which the binding needs.
      expect(await readFile(join(outdir, "worker.js"), "utf8")).toMatch(/export\s*\{[^}]*\bas LoginAttempts\b/);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 120_000);

  it("names the worker after the project, or says plainly that it must be renamed", async () => {
    const config = await readFile(join(TEMPLATE_DIR, "wrangler.jsonc"), "utf8");
    const name = /"name": "([^"]*)"/.exec(config)?.[1];
    const project = JSON.parse(await readFile(join(TEMPLATE_DIR, "package.json"), "utf8")).name;
    // The template keeps the placeholder; create-hattip-session-app replaces it with the project's name.
    expect([project, "hattip-session-app-rename-me"]).toContain(name);
  });
});

describe("a deployed worker without users", () => {
  it("answers every page with a plain 500 that names no secret and shows no stack", async () => {
    const app = await startApp({ mode: "production" });
    try {
      for (const path of ["/", "/login"]) {
        const response = await fetch(`${app.url}${path}`);
        expect(response.status).toBe(500);
        const body = await response.text();
        expect(body).toContain("The app is not configured yet.");
        expect(body).not.toContain("USERS");
        expect(body).not.toMatch(/at \S+ \(/);
      }
    } finally {
      await app.stop();
    }
  });
});
