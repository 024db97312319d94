// How to run the Deno that scripts/install-deno.mjs installed (the `deno` npm
// package, at DENO_VERSION), with the flags that keep it offline and inside its sandbox.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Deno that `npm install` puts in node_modules/.deno (see scripts/install-deno.mjs). */
export const DENO_VERSION = "2.8.3";
export const denoInstallDir = fileURLToPath(new URL("../node_modules/.deno", import.meta.url));
const denoPackageDir = join(denoInstallDir, "node_modules", "deno");

export function installedDenoVersion() {
  try {
    return JSON.parse(readFileSync(join(denoPackageDir, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

/** The deno executable shipped by the `deno` npm package. */
export function denoExecutable() {
  if (installedDenoVersion() === undefined) {
    throw new Error(`Deno is not installed in ${denoInstallDir}: run npm install (or npm run install-deno).`);
  }
  const executable = join(denoPackageDir, process.platform === "win32" ? "deno.exe" : "deno");
  if (existsSync(executable)) return executable;
  return createRequire(import.meta.url)(join(denoPackageDir, "install_api.cjs")).runInstall();
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
