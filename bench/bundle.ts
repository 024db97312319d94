/**
 * What the package adds to an app's bundle. esbuild bundles small apps
 * from the built package (packages/session/dist), minified, for the
 * browser-free "neutral" platform the edge runtimes use, and the report
 * gives bytes raw and gzipped. The cookie-only app must pull in none of
 * the server-side stores' code: the package is `sideEffects: false`, and
 * this is where that is checked.
 */
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export interface BundleResult {
  name: string;
  /** What the entry imports. */
  imports: string;
  minifiedBytes: number;
  gzippedBytes: number;
  /** Names of server-side store code found in the bundle (must be empty for the cookie-only apps). */
  serverStoreCode: string[];
}

const DIST_ENTRY = fileURLToPath(new URL("../packages/session/dist/index.js", import.meta.url));

/**
 * Property names and SQL only the server-side stores' code uses (minifying
 * keeps property names and strings, not class names; the class names also
 * appear in the middleware's error messages, so they prove nothing). If
 * tree shaking fails, these end up in the bundle.
 */
const SERVER_STORE_MARKERS = [
  "getClient" /* Redis */,
  "listenerCount" /* Redis */,
  "getStore" /* KV, Netlify Blobs */,
  "expirationTtl" /* KV */,
  "sweepInterval" /* memory */,
  "getNamespace" /* Durable Object */,
  "idFromName" /* Durable Object */,
  "ON CONFLICT" /* PostgreSQL */,
];

const ENTRIES: { name: string; imports: string; code: string; external: string[] }[] = [
  {
    name: "middleware + SignedCookieStore",
    imports: "session, SignedCookieStore (Hattip packages external)",
    code: `export { session, SignedCookieStore } from "hattip-session";`,
    external: ["@hattip/*"],
  },
  {
    name: "middleware + EncryptedCookieStore",
    imports: "session, EncryptedCookieStore (Hattip packages external)",
    code: `export { session, EncryptedCookieStore } from "hattip-session";`,
    external: ["@hattip/*"],
  },
  {
    name: "cookie-only app, whole",
    imports: "@hattip/compose, @hattip/cookie, session, SignedCookieStore, a handler",
    code: [
      `import { compose } from "@hattip/compose";`,
      `import { cookie } from "@hattip/cookie";`,
      `import { session, SignedCookieStore } from "hattip-session";`,
      `const keys = await SignedCookieStore.generateKeysFromBase64([globalThis.SESSION_KEY]);`,
      `export default compose(cookie(), session({ store: new SignedCookieStore(keys) }), (ctx) => new Response(String(ctx.session.data.user)));`,
    ].join("\n"),
    external: [],
  },
  {
    name: "everything (for scale)",
    imports: "export * from hattip-session (Hattip packages external)",
    code: `export * from "hattip-session";`,
    external: ["@hattip/*"],
  },
];

export async function measureBundles(): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const entry of ENTRIES) {
    const output = await build({
      stdin: { contents: entry.code, resolveDir: fileURLToPath(new URL(".", import.meta.url)), loader: "ts" },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      target: "es2022",
      external: ["node:*", ...entry.external],
      alias: { "hattip-session": DIST_ENTRY },
      write: false,
      logLevel: "silent",
    });
    const bytes = output.outputFiles[0]!.contents;
    const text = new TextDecoder().decode(bytes);
    results.push({
      name: entry.name,
      imports: entry.imports,
      minifiedBytes: bytes.length,
      gzippedBytes: gzipSync(bytes, { level: 9 }).length,
      serverStoreCode: SERVER_STORE_MARKERS.filter((marker) => text.includes(marker)),
    });
  }
  return results;
}
