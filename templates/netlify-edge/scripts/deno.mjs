// How to run the Deno that the `deno` npm package installed, with the
// flags that keep it offline and inside its sandbox.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The deno executable shipped by the `deno` npm package. */
export function denoExecutable() {
  const packageDir = dirname(require.resolve("deno/package.json"));
  const executable = join(packageDir, process.platform === "win32" ? "deno.exe" : "deno");
  if (existsSync(executable)) return executable;
  return require("deno/install_api.cjs").runInstall();
}

/** Arguments of `deno run` for the bundled local server: loopback only, the env it reads, nothing remote. */
export function denoRunArgs(bundlePath) {
  return [
    "run",
    "--no-remote",
    "--no-npm",
    "--no-config",
    "--no-lock",
    "--allow-net=127.0.0.1,localhost",
    "--allow-env=SESSION_KEYS,HOST,PORT",
    bundlePath,
  ];
}

/**
 * Arguments of `deno run` for the TypeScript sources as they are, with npm
 * packages read from node_modules the way Netlify's bundler resolves them.
 */
export function denoRunSourceArgs(entryPath) {
  return [
    "run",
    "--no-remote",
    "--cached-only",
    "--node-modules-dir=manual",
    "--no-lock",
    "--allow-read",
    "--allow-net=127.0.0.1,localhost",
    "--allow-env=SESSION_KEYS,HOST,PORT",
    entryPath,
  ];
}

/** Keeps Deno from checking for updates or writing anything outside its cache. */
export const denoEnv = { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };
