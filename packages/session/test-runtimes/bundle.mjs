/**
 * Bundles the suite, with the built package (dist) and the Hattip
 * middleware it drives, into one file per runtime entry. `node:` imports
 * stay external on purpose: a runtime without them must fail to load the
 * bundle, which is how a Node-only import in the package is caught.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
export const distEntry = join(here, "..", "dist", "index.js");

const common = {
  bundle: true,
  platform: "neutral",
  mainFields: ["module", "main"],
  target: "es2022",
  external: ["node:*"],
  logLevel: "silent",
};

/** `packageEntry`: the built package's entry (a doctored copy, when checking the guard). */
export async function bundleSuite(outDir, packageEntry) {
  if (!existsSync(packageEntry)) {
    throw new Error(`${packageEntry} is missing: run \`npm run build\` at the repository root first`);
  }
  // The suite must exercise the build, never the TypeScript source.
  const settings = { ...common, alias: { "hattip-session": packageEntry } };
  const bundles = {
    moduleBundle: join(outDir, "suite.mjs"),
    workerBundle: join(outDir, "worker.mjs"),
    scriptBundle: join(outDir, "edge.js"),
  };
  await Promise.all([
    build({ ...settings, entryPoints: [join(here, "entries", "cli.ts")], format: "esm", outfile: bundles.moduleBundle }),
    build({ ...settings, entryPoints: [join(here, "entries", "worker.ts")], format: "esm", outfile: bundles.workerBundle }),
    build({ ...settings, entryPoints: [join(here, "entries", "edge.ts")], format: "iife", outfile: bundles.scriptBundle }),
  ]);
  return bundles;
}
