// `npm run dev`: wrangler dev with the demo user on and nothing sent to or fetched from
// Cloudflare, set here rather than as VAR=value prefixes so that it runs on Windows too.
// Extra arguments go to wrangler: npm run dev -- --port 8788
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, "dev", "--var", "ALLOW_DEMO_USER:1", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
