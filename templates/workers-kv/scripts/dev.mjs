// `npm run dev`: wrangler dev with the demo user on and nothing sent to or fetched from
// Cloudflare, set here rather than as VAR=value prefixes so that it runs on Windows too.
// Without a SESSION_TAG_SECRET in .dev.vars (where wrangler dev reads secrets), one is made and written
// there, so that a restart keeps everyone signed in; a deploy sets its own as a secret.
// Extra arguments go to wrangler: npm run dev -- --port 8788
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseEnv } from "node:util";

const devVars = new URL("../.dev.vars", import.meta.url);
const text = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
if (!parseEnv(text).SESSION_TAG_SECRET?.trim()) {
  const line = `SESSION_TAG_SECRET=${randomBytes(32).toString("base64url")}`;
  const setsIt = /^[ \t]*SESSION_TAG_SECRET[ \t]*=.*$/m;
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  const updated = setsIt.test(text)
    ? text.replace(setsIt, line)
    : `${text}${separator}\n# The key that names users in the session store, made by npm run dev. Never use it in production.\n${line}\n`;
  writeFileSync(devVars, updated, { mode: 0o600 });
  chmodSync(devVars, 0o600);
  console.warn("SESSION_TAG_SECRET was not set: a new secret for local development is now in .dev.vars (ignored by git).");
}

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, "dev", "--var", "ALLOW_DEMO_USER:1", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
