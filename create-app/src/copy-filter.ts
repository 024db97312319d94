// Which template files reach a new app (one rule for copy, bundle and download).
/**
 * What never leaves the monorepo: installed packages, build output, local
 * runtime state, test artefacts and real secrets. Shared by the prepack
 * bundling, the development copy from ../templates, and giget extraction.
 */
const EXCLUDED_NAMES = new Set([
  "node_modules",
  "dist",
  "build",
  ".wrangler",
  ".vercel",
  ".netlify",
  ".edge-output",
  "coverage",
  "test-results",
  "playwright-report",
  ".turbo",
  ".cache",
  ".DS_Store",
  // Secrets are generated per app; a key must never travel with the template.
  ".env",
  ".dev.vars",
  // npm workspaces have one lockfile at the root; an app makes its own.
  "package-lock.json",
]);

/**
 * A template's screenshots (`docs/*.png`) illustrate its README in the
 * repository, where they stay; copied into every app they were half a megabyte
 * that nobody edits.
 */
const SCREENSHOT = /^docs\/(?:.+\/)?[^/]+\.png$/i;

/** `relativePath` uses "/" separators and is relative to the template's root. */
export function isTemplateFile(relativePath: string): boolean {
  const segments = relativePath.split("/").filter(Boolean);
  if (SCREENSHOT.test(segments.join("/"))) return false;
  return !segments.some((segment) => EXCLUDED_NAMES.has(segment) || segment.endsWith(".tsbuildinfo") || segment.endsWith(".log"));
}
