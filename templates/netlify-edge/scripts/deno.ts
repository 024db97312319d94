/**
 * How to run Deno (installed by scripts/install-deno.mjs, found by
 * scripts/deno.mjs) with flags that keep it offline and inside its
 * sandbox: network on loopback only, only the environment variables the
 * app reads, and only public/ to read.
 */
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";
import { APP_SETTINGS, STORE_ENV } from "./app-env.ts";

export { denoExecutable } from "./deno.mjs";

/** Where the local server serves static files from. */
export const PUBLIC_DIR = fileURLToPath(new URL("../public", import.meta.url));

/** The variables the function, its store's client and the local server read. */
const ALLOWED_ENV = [...APP_SETTINGS, ...STORE_ENV, "HOST", "PORT", "PUBLIC_DIR"].join(",");

/** Arguments of `deno run` for the bundled local server; `watch` restarts it when the bundle changes. */
export function denoRunArgs(bundlePath: string, { watch = false }: { watch?: boolean } = {}): string[] {
  return [
    "run",
    ...(watch ? ["--watch"] : []),
    "--no-remote",
    "--no-npm",
    "--no-config",
    "--no-lock",
    "--allow-net=127.0.0.1,localhost",
    `--allow-env=${ALLOWED_ENV}`,
    `--allow-read=${PUBLIC_DIR}`,
    bundlePath,
  ];
}

/**
 * Arguments of `deno run` for the TypeScript sources as they are, with npm
 * packages read from node_modules the way Netlify's bundler resolves them.
 */
export function denoRunSourceArgs(entryPath: string): string[] {
  return [
    "run",
    "--no-remote",
    "--cached-only",
    "--node-modules-dir=manual",
    "--no-lock",
    "--allow-read",
    "--allow-net=127.0.0.1,localhost",
    `--allow-env=${ALLOWED_ENV}`,
    entryPath,
  ];
}

/** Keeps Deno from checking for updates or writing anything outside its cache. */
export const denoEnv = { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };

/** esbuild options that bundle the edge function and its local server into one file Deno runs as it is. */
export const localServerBuild: BuildOptions = {
  entryPoints: [fileURLToPath(new URL("../dev/local-server.ts", import.meta.url))],
  bundle: true,
  format: "esm",
  platform: "neutral",
  // A package that imports Node's `process` by its bare name (@netlify/blobs does): Deno, like Netlify's bundler, knows it as node:process.
  alias: { process: "node:process" },
  external: ["node:*"],
  mainFields: ["module", "main"],
  conditions: ["deno", "worker", "browser"],
  target: "es2022",
  logLevel: "warning",
};
