/**
 * `npm run dev`: wrangler dev with the demo user on and nothing sent to or
 * fetched from Cloudflare, set here rather than as VAR=value prefixes so
 * that it runs on Windows too. The secrets `.dev.vars.example` leaves empty
 * (SESSION_TAG_SECRET, ...) are made when `.dev.vars` (where wrangler dev
 * reads secrets) lacks them, and kept there, so that a restart keeps
 * everyone signed in; a deploy sets its own with `wrangler secret put`.
 * Extra arguments go to wrangler: `npm run dev -- --port 8788`.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { devSecret, randomSecret } from "./dev-secret.js";

const inApp = (name: string) => fileURLToPath(new URL(`../${name}`, import.meta.url));
const example = inApp(".dev.vars.example");
const secrets = existsSync(example) ? [...readFileSync(example, "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=$/gm)].map(([, name]) => name ?? "") : [];
for (const name of secrets) {
  await devSecret({
    envFile: inApp(".dev.vars"),
    // wrangler dev gives the worker what .dev.vars holds, not the shell's variables.
    environment: {},
    name,
    make: randomSecret,
    called: "secret",
    comment: "Made by npm run dev for local development. Never use it in production.",
  });
}

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, "dev", "--var", "ALLOW_DEMO_USER:1", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
