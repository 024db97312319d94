// `npm run build` and `npm run deploy`.
//
// build: Netlify's build (@netlify/build, what `netlify build` runs), with the app's own Deno
// (node_modules/.deno) first on the PATH, so the build uses it instead of downloading one; then a look
// at the manifest it wrote. `POST /login` must reach login-rate-limit.ts *with* its rate-limit rule: the
// rule's numbers are read from that file by Netlify's bundler, which fetches Netlify's bootstrap types
// from edge.netlify.com to do it, and a build that cannot (offline, behind a firewall) leaves the rule out
// without failing. Here that build fails, saying so, instead of shipping without the limit.
//
// deploy: the same build and check, then `netlify deploy --prod --no-build` with the pinned Netlify CLI.
// Extra arguments go to the build (`npm run build -- --offline`) or to `netlify deploy`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { denoExecutable } from "./deno.mjs";

/** The Netlify CLI that deploys (through npx): 26.2.0 itself says Node 20.12, parts of its tree 22.12 (README.md). */
export const NETLIFY_CLI = "netlify-cli@26.2.0";
const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
export const MANIFEST = join(APP_DIR, ".netlify", "edge-functions-dist", "manifest.json");
const RATE_LIMIT_FUNCTION = "login-rate-limit";

/**
 * What is wrong with the rate limit in an edge functions manifest, or undefined when `POST /login`
 * reaches the rate-limit function, before the app, with a rule.
 * @param {{ routes?: Array<{ function: string, path?: string, methods?: string[] }>, function_config?: Record<string, { traffic_rules?: unknown }> }} manifest
 * @returns {string | undefined}
 */
export function rateLimitProblem(manifest) {
  const routes = manifest.routes ?? [];
  const limit = routes.findIndex((route) => route.function === RATE_LIMIT_FUNCTION && route.path === "/login" && route.methods?.includes("POST"));
  if (limit === -1) return `The build routes no POST /login to ${RATE_LIMIT_FUNCTION}: netlify.toml declares that route; is it still there?`;
  const app = routes.findIndex((route) => route.function === "app");
  if (app !== -1 && app < limit)
    return `The build routes POST /login to the app before ${RATE_LIMIT_FUNCTION}: keep its route first in netlify.toml.`;
  if (!manifest.function_config?.[RATE_LIMIT_FUNCTION]?.traffic_rules) {
    return (
      `The build routes POST /login to ${RATE_LIMIT_FUNCTION} but carries no rate-limit rule: Netlify's bundler could not read the rule ` +
      "from netlify/edge-functions/login-rate-limit.ts, which it does with Netlify's bootstrap types from edge.netlify.com. " +
      "Build where that is reachable (not with --offline), or let Netlify build it from git."
    );
  }
  return undefined;
}

/** @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env */
function run(command, args, env) {
  const result = spawnSync(command, args, { cwd: APP_DIR, env, stdio: "inherit", shell: process.platform === "win32" && command === "npx" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== "build" && command !== "deploy") {
    console.error("Usage: node scripts/netlify.mjs build|deploy [arguments]");
    process.exit(1);
  }
  const env = { ...process.env, PATH: `${dirname(denoExecutable())}${delimiter}${process.env.PATH ?? ""}` };
  // @netlify/build exports no bin path: its bin.js sits beside lib/, where its main module is.
  const netlifyBuild = join(dirname(createRequire(import.meta.url).resolve("@netlify/build")), "..", "bin.js");
  run(process.execPath, [netlifyBuild, ...(command === "build" ? rest : [])], env);
  if (!existsSync(MANIFEST)) {
    console.error(`\n  The build wrote no edge functions manifest (${MANIFEST}).\n`);
    process.exit(1);
  }
  const problem = rateLimitProblem(JSON.parse(readFileSync(MANIFEST, "utf8")));
  if (problem) {
    console.error(`\n  ${problem}\n`);
    process.exit(1);
  }
  console.log(`POST /login reaches ${RATE_LIMIT_FUNCTION}, with its rule.`);
  if (command === "deploy") run("npx", ["--yes", NETLIFY_CLI, "deploy", "--prod", "--no-build", ...rest], process.env);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
