/**
 * Copies the shared starter app (starter/) into the four templates, so that
 * a user who copies one template folder owns all of it, while maintainers
 * edit one place. `npx tsx starter/sync.ts` writes the copies;
 * `--check` only reports the ones that differ (exit code 1), as
 * test/templates-in-sync.test.ts does.
 *
 * Netlify's copy differs only in import suffixes: Deno loads `./app.ts` as
 * written, so its relative imports end in `.ts` instead of `.js`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const STARTER_DIR = fileURLToPath(new URL(".", import.meta.url));
const REPO_DIR = join(STARTER_DIR, "..");

export const TEMPLATES = ["node-redis", "workers-kv", "vercel-edge", "netlify-edge"] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/** Templates whose relative imports end in `.ts`. */
const TS_IMPORTS = new Set<TemplateName>(["netlify-edge"]);

/** What is shared, and where each template keeps it. */
const SHARED: ReadonlyArray<{ from: string; to: Partial<Record<TemplateName, string>> }> = [
  // The runtime-agnostic app, its scripts and the tests every platform must pass.
  ...["src", "scripts", "test/shared"].map((folder) => ({ from: folder, to: everywhere(folder) })),
  // Node-side serving (ports, .env): the node entry's, and the edge templates' local dev servers'.
  { from: "node", to: { "node-redis": "src", "vercel-edge": "scripts", "netlify-edge": "scripts" } },
];

function everywhere(folder: string): Record<TemplateName, string> {
  return Object.fromEntries(TEMPLATES.map((template) => [template, folder])) as Record<TemplateName, string>;
}

export interface PlannedCopy {
  /** Relative to the repository, "/" separators. */
  source: string;
  target: string;
  content: string;
}

/** Every file the shared app puts into the templates, with the content it must have there. */
export function plannedCopies(): PlannedCopy[] {
  const copies: PlannedCopy[] = [];
  for (const { from, to } of SHARED) {
    for (const file of listFiles(join(STARTER_DIR, from))) {
      const source = readFileSync(file, "utf8");
      const inside = relative(join(STARTER_DIR, from), file);
      for (const template of TEMPLATES) {
        const folder = to[template];
        if (folder === undefined) continue;
        copies.push({
          source: toPosix(relative(REPO_DIR, file)),
          target: toPosix(join("templates", template, folder, inside)),
          content: TS_IMPORTS.has(template) ? withTsImports(source) : source,
        });
      }
    }
  }
  return copies;
}

/** `from "./x.js"` -> `from "./x.ts"`, for relative imports only. */
export function withTsImports(source: string): string {
  return source.replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*?)\.js(["'])/g, "$1.ts$2");
}

/** The copies whose target is missing or differs. */
export function staleCopies(copies = plannedCopies()): PlannedCopy[] {
  return copies.filter(({ target, content }) => {
    const path = join(REPO_DIR, target);
    return !existsSync(path) || readFileSync(path, "utf8") !== content;
  });
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function toPosix(path: string): string {
  return path.split("\\").join("/");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const stale = staleCopies();
  if (process.argv.includes("--check")) {
    for (const copy of stale) console.error(`${copy.target} differs from ${copy.source}`);
    if (stale.length > 0) {
      console.error(`\n${stale.length} template file(s) out of step. Edit starter/, then run: npx tsx starter/sync.ts`);
      process.exit(1);
    }
    console.log("Every template holds the current shared app.");
  } else {
    for (const copy of stale) {
      const path = join(REPO_DIR, copy.target);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, copy.content);
      console.log(`wrote ${copy.target}`);
    }
    console.log(stale.length === 0 ? "Nothing to copy: every template is in step." : `Copied ${stale.length} file(s).`);
  }
}
