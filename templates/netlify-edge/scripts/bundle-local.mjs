// Bundles the edge function and its local server into one ESM file that
// Deno runs with no network and no npm resolution of its own.
import { build } from "esbuild";

const outfile = new URL("../dist/local-server.js", import.meta.url).pathname;

await build({
  entryPoints: [new URL("../dev/local-server.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  conditions: ["deno", "worker", "browser"],
  target: "es2022",
  logLevel: "warning",
});
console.log(`Bundled ${outfile}`);
