/**
 * What the edge starters upload: the bytes of each deployable bundle,
 * as-is and minified, raw and gzipped. It asserts nothing; it prints, so
 * that a change to the shared app (a validator, a feature) can be weighed
 * before and after on any machine:
 *
 *   npm run build && npx tsx starter/bundle-sizes.ts
 *
 * - workers-kv: `wrangler deploy --dry-run --outdir` with `--no-minify` and
 *   with `--minify` (its wrangler.jsonc deploys minified: the second row is
 *   what `npm run deploy` uploads). Wrangler's own "Total Upload" line is
 *   printed beside ours.
 * - vercel-edge: api/index.ts bundled by esbuild for the edge (the
 *   `edge-light` condition, as Vercel's bundler resolves it), minified and not.
 * - netlify-edge: netlify/edge-functions/app.ts the same way, for Deno.
 *
 * Gzip is zlib's default level (6), the same for every row.
 *
 * `--write` also records the minified rows in starter/generate/bundle-sizes.json,
 * which the edge apps' READMEs quote (run `npx tsx starter/sync.ts` after);
 * test/bundle-sizes.test.ts fails when the recorded figures no longer match.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const run = promisify(execFile);
const TEMPLATES_DIR = fileURLToPath(new URL("../templates/", import.meta.url));

export interface BundleSize {
  bundle: string;
  minified: boolean;
  bytes: number;
  gzippedBytes: number;
  /** What the platform's own tool said, when it says anything. */
  toolSays?: string;
}

/** `wrangler deploy --dry-run` of workers-kv, unminified and minified. */
async function workersBundles(): Promise<BundleSize[]> {
  const dir = join(TEMPLATES_DIR, "workers-kv");
  const wrangler = createRequire(join(dir, "package.json")).resolve("wrangler/bin/wrangler.js");
  const sizes: BundleSize[] = [];
  for (const minified of [false, true]) {
    const outdir = await mkdtemp(join(tmpdir(), "bundle-sizes-"));
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [wrangler, "deploy", "--dry-run", "--outdir", outdir, minified ? "--minify" : "--no-minify"],
        {
          cwd: dir,
          env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
          timeout: 180_000,
        },
      );
      const code = await readFile(join(outdir, "worker.js"));
      const toolSays = /Total Upload: [^\n]*/.exec(stdout + stderr)?.[0];
      sizes.push({ bundle: "workers-kv (wrangler)", minified, ...measure(code), ...(toolSays ? { toolSays } : {}) });
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }
  return sizes;
}

/** An edge function bundled by esbuild into one ES module, as the platforms' bundlers do. */
async function esbuildBundles(template: string, entry: string, conditions: string[]): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const minified of [false, true]) {
    const result = await build({
      entryPoints: [join(TEMPLATES_DIR, template, entry)],
      absWorkingDir: join(TEMPLATES_DIR, template),
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      conditions,
      target: "es2022",
      minify: minified,
      logLevel: "silent",
    });
    sizes.push({ bundle: `${template} (esbuild)`, minified, ...measure(result.outputFiles[0]!.contents) });
  }
  return sizes;
}

function measure(code: Uint8Array): { bytes: number; gzippedBytes: number } {
  return { bytes: code.byteLength, gzippedBytes: gzipSync(code).byteLength };
}

export async function bundleSizes(): Promise<BundleSize[]> {
  return [
    ...(await workersBundles()),
    ...(await esbuildBundles("vercel-edge", "api/index.ts", ["edge-light", "worker", "browser", "import"])),
    ...(await esbuildBundles("netlify-edge", "netlify/edge-functions/app.ts", ["deno", "worker", "browser", "import"])),
  ];
}

/** Where the minified sizes are recorded for the READMEs: per template, what its deploy uploads. */
export const RECORDED_SIZES = fileURLToPath(new URL("generate/bundle-sizes.json", import.meta.url));

export interface RecordedSize {
  bytes: number;
  gzippedBytes: number;
}

/** The template a row measures: "workers-kv (wrangler)" is workers-kv. */
export function templateOf(row: BundleSize): string {
  return row.bundle.split(" ")[0]!;
}

export function recordedSizes(rows: readonly BundleSize[]): Record<string, RecordedSize> {
  return Object.fromEntries(rows.filter((row) => row.minified).map((row) => [templateOf(row), { bytes: row.bytes, gzippedBytes: row.gzippedBytes }]));
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await bundleSizes();
  console.log("| Bundle | Minified | Size | Gzipped | The tool's own figure |");
  console.log("|---|---|---|---|---|");
  for (const row of rows) {
    console.log(`| ${row.bundle} | ${row.minified ? "yes" : "no"} | ${kib(row.bytes)} | ${kib(row.gzippedBytes)} | ${row.toolSays ?? ""} |`);
  }
  if (process.argv.includes("--write")) {
    await writeFile(RECORDED_SIZES, `${JSON.stringify(recordedSizes(rows), null, 2)}\n`);
    console.log(`Wrote ${RECORDED_SIZES}; now run npx tsx starter/sync.ts`);
  }
}
