// Where the Deno that `npm run dev` and the tests use lives: scripts/install-deno.mjs puts the
// `deno` npm package, at DENO_VERSION, in node_modules/.deno, outside package-lock.json. Plain
// JavaScript, because that postinstall script runs on node before anything else can.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Deno that `npm install` puts in node_modules/.deno (see scripts/install-deno.mjs). */
export const DENO_VERSION = "2.8.3";
export const denoInstallDir = fileURLToPath(new URL("../node_modules/.deno", import.meta.url));
const denoPackageDir = join(denoInstallDir, "node_modules", "deno");

/** @returns {string | undefined} */
export function installedDenoVersion() {
  try {
    return JSON.parse(readFileSync(join(denoPackageDir, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

/**
 * The deno executable shipped by the `deno` npm package.
 * @returns {string}
 */
export function denoExecutable() {
  if (installedDenoVersion() === undefined) {
    throw new Error(`Deno is not installed in ${denoInstallDir}: run npm install (or npm run install-deno).`);
  }
  const executable = join(denoPackageDir, process.platform === "win32" ? "deno.exe" : "deno");
  if (existsSync(executable)) return executable;
  return createRequire(import.meta.url)(join(denoPackageDir, "install_api.cjs")).runInstall();
}
