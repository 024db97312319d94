// `npm run dev`: wrangler dev with the demo user on and nothing sent to or fetched from
// Cloudflare, set here rather than as VAR=value prefixes so that it runs on Windows too.
// The secrets .dev.vars.example leaves empty (SESSION_TAG_SECRET, ...) are made here when
// .dev.vars (where wrangler dev reads secrets) lacks them, and written there, so that a
// restart keeps everyone signed in; a deploy sets its own with `wrangler secret put`.
// Extra arguments go to wrangler: npm run dev -- --port 8788
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseEnv } from "node:util";

const read = (file) => (existsSync(file) ? readFileSync(file, "utf8") : "");
const devVars = new URL("../.dev.vars", import.meta.url);
const wanted = [...read(new URL("../.dev.vars.example", import.meta.url)).matchAll(/^([A-Z][A-Z0-9_]*)=$/gm)].map((match) => match[1]);
let text = read(devVars);
const made = [];
for (const name of wanted) {
  if (parseEnv(text)[name]?.trim()) continue;
  const line = `${name}=${randomBytes(32).toString("base64url")}`;
  const setsIt = new RegExp(`^[ \\t]*${name}[ \\t]*=.*$`, "m");
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  text = setsIt.test(text)
    ? text.replace(setsIt, line)
    : `${text}${separator}# Made by npm run dev for local development. Never use it in production.\n${line}\n`;
  made.push(name);
}
if (made.length > 0) {
  writeFileSync(devVars, text, { mode: 0o600 });
  chmodSync(devVars, 0o600);
  console.warn(
    `${made.join(" and ")} ${made.length > 1 ? "were" : "was"} not set: new ones for local development are now in .dev.vars (ignored by git).`,
  );
}

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, "dev", "--var", "ALLOW_DEMO_USER:1", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
