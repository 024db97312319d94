/**
 * Writes what the four templates share: copies of the shared starter app
 * (starter/), so that a user who copies one template folder owns all of it,
 * while maintainers edit one place; and the files generated from each
 * app's description (starter/generate/: READMEs, example settings, entry
 * files, variants/stores.json). `npx tsx starter/sync.ts` writes them;
 * `--check` only reports (exit code 1) the ones that differ, as
 * test/templates-in-sync.test.ts does, and the orphans: files left in a
 * template's managed folders after their source went.
 *
 * Netlify's copy differs only in import suffixes: Deno loads `./app.ts` as
 * written, so its relative imports end in `.ts` instead of `.js`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type TemplateName, TEMPLATES } from "./generate/catalog.js";
import { withTsImports } from "./generate/imports.js";
import { generatedFiles, orphanedFiles } from "./generate/plan.js";

export { type TemplateName, TEMPLATES, withTsImports };

const STARTER_DIR = fileURLToPath(new URL(".", import.meta.url));
const REPO_DIR = join(STARTER_DIR, "..");

/** Templates whose relative imports end in `.ts`. */
const TS_IMPORTS = new Set<TemplateName>(["netlify-edge"]);

/** What is shared (a folder, or one file), and where each template keeps it. */
const SHARED: ReadonlyArray<{ from: string; to: Partial<Record<TemplateName, string>> }> = [
  // The runtime-agnostic app, its scripts and the tests every platform must pass.
  ...["src", "scripts", "test/shared"].map((folder) => ({ from: folder, to: everywhere(folder) })),
  // Node-side serving (ports, .env): the node entry's, and the edge templates' local dev servers'.
  { from: "node", to: { "node-redis": "src", "vercel-edge": "scripts", "netlify-edge": "scripts" } },
  // wrangler dev's secrets in .dev.vars, kept as the Node-side apps keep theirs in .env.
  { from: "node/dev-secret.ts", to: { "workers-kv": "scripts" } },
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

/** Every file the shared app puts into the templates, and every generated one, with the content it must have there. */
export function plannedCopies(): PlannedCopy[] {
  return [...sharedCopies(), ...generatedFiles()];
}

function sharedCopies(): PlannedCopy[] {
  const copies: PlannedCopy[] = [];
  for (const { from, to } of SHARED) {
    const shared = join(STARTER_DIR, from);
    const single = existsSync(shared) && statSync(shared).isFile();
    for (const file of single ? [shared] : listFiles(shared)) {
      const source = readFileSync(file, "utf8");
      const inside = single ? basename(file) : relative(shared, file);
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
  const planned = plannedCopies();
  const stale = staleCopies(planned);
  const orphans = orphanedFiles(new Set(planned.map((copy) => copy.target)));
  if (process.argv.includes("--check")) {
    for (const copy of stale) console.error(`${copy.target} differs from what ${copy.source} makes`);
    for (const orphan of orphans)
      console.error(`${orphan} is left over: nothing writes it and its template does not declare it (starter/generate/catalog.ts)`);
    if (stale.length > 0) console.error(`\n${stale.length} template file(s) out of step. Edit starter/, then run: npx tsx starter/sync.ts`);
    if (orphans.length > 0)
      console.error(`\n${orphans.length} orphaned file(s). Delete them, or declare them as the template's own in starter/generate/catalog.ts.`);
    if (stale.length > 0 || orphans.length > 0) process.exit(1);
    console.log("Every template holds the current shared app and generated files, and nothing else.");
  } else {
    for (const copy of stale) {
      const path = join(REPO_DIR, copy.target);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, copy.content);
      console.log(`wrote ${copy.target}`);
    }
    for (const orphan of orphans) console.warn(`left over (delete it, or declare it in starter/generate/catalog.ts): ${orphan}`);
    console.log(stale.length === 0 ? "Nothing to write: every template is in step." : `Wrote ${stale.length} file(s).`);
  }
}
