/**
 * Every file the generator writes into templates/, with the content it
 * must have: each app's README, example settings file and entry files;
 * each template's `variants/stores.json`; and the modules and tests that
 * several templates share (files/ here). TypeScript and JSON go through
 * the template's own Biome formatter, so a generated file is exactly what
 * `npm run lint` there accepts.
 *
 * Also what counts as an orphan: a file in a folder the generator manages
 * (src/, scripts/, test/shared/, variants/) that it did not write and that
 * the template does not declare as its own (catalog.ts, OWN_FILES and each
 * store's `variantFiles`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { APPS, appDir, appsOf, OWN_FILES, STORES, type TemplateName, TEMPLATES } from "./catalog.js";
import { entryFiles } from "./entries.js";
import { envExample } from "./env-example.js";
import { withTsImports } from "./imports.js";
import { readme } from "./readme.js";

const GENERATE_DIR = fileURLToPath(new URL(".", import.meta.url));
const REPO_DIR = join(GENERATE_DIR, "..", "..");

export interface GeneratedFile {
  /** Relative to the repository, "/" separators. */
  target: string;
  /** What it is made from, for messages. */
  source: string;
  content: string;
}

/** Modules and tests that several templates share, from files/ here. */
const SHARED_FILES: ReadonlyArray<{ file: string; templates: readonly TemplateName[] }> = [
  { file: "src/session-keys.ts", templates: ["vercel-edge", "netlify-edge"] },
  { file: "scripts/dev-session-keys.ts", templates: ["vercel-edge", "netlify-edge"] },
  { file: "scripts/generate-key.ts", templates: ["vercel-edge", "netlify-edge"] },
  { file: "test/dev-session-keys.test.ts", templates: ["vercel-edge", "netlify-edge"] },
  { file: "test/settings.test.ts", templates: TEMPLATES },
];

/** How each platform says where SESSION_KEYS is set, in session-keys.ts's messages. */
const SET_SESSION_KEYS: Partial<Record<TemplateName, string>> = {
  "vercel-edge": "`vercel env add SESSION_KEYS production`",
  "netlify-edge": "`netlify env:set SESSION_KEYS <key>`",
};

export function generatedFiles(): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const app of APPS) {
    const dir = appDir(app);
    const from = `starter/generate (${app.platform.template} on ${app.store.name})`;
    const example = app.platform.exampleFile;
    files.push({ target: `${dir}/README.md`, source: `${from}: readme.ts`, content: readme(app) });
    files.push({ target: `${dir}/${example}`, source: `${from}: env-example.ts`, content: envExample(app) });
    for (const [file, content] of Object.entries(entryFiles(app))) {
      files.push({ target: `${dir}/${file}`, source: `${from}: entries.ts`, content: formatted(app.platform.template, `${dir}/${file}`, content) });
    }
  }
  for (const template of TEMPLATES) {
    const target = `templates/${template}/variants/stores.json`;
    files.push({ target, source: "starter/generate/catalog.ts (STORES)", content: formatted(template, target, storesJson(template)) });
    for (const { file, templates } of SHARED_FILES) {
      if (!templates.includes(template)) continue;
      let content = readFileSync(join(GENERATE_DIR, "files", file), "utf8");
      const setIt = SET_SESSION_KEYS[template];
      if (file === "src/session-keys.ts" && setIt) content = content.replace("SET_IT", setIt);
      if (template === "netlify-edge") content = withTsImports(content);
      files.push({ target: `templates/${template}/${file}`, source: `starter/generate/files/${file}`, content });
    }
  }
  return files;
}

function storesJson(template: TemplateName): string {
  const stores = STORES.filter((store) => store.template === template).map((store, index) => {
    const entry: Record<string, unknown> = { name: store.name, label: store.label, hint: store.hint };
    if (index === 0) return entry;
    entry.description = store.description;
    if (store.remove) entry.remove = store.remove;
    if (store.removeScripts) entry.removeScripts = store.removeScripts;
    if (store.removeDependencies) entry.removeDependencies = store.removeDependencies;
    if (store.dependencies) entry.dependencies = store.dependencies;
    if (store.devDependencies) entry.devDependencies = store.devDependencies;
    if (store.secrets) entry.secrets = store.secrets;
    return entry;
  });
  const comment =
    stores.length === 1
      ? `The session stores this template offers: only ${stores[0]!.label as string}. Generated from starter/generate/catalog.ts. create-hattip-session-app accepts --store ${stores[0]!.name as string} and never copies variants/.`
      : "The session stores this template offers, generated from starter/generate/catalog.ts. The first is the template as it is; each other one is the files in variants/<name>/ laid over it, minus `remove`, with package.json adjusted. create-hattip-session-app applies one (--store) and never copies variants/.";
  return `${JSON.stringify({ $comment: comment, stores }, null, 2)}\n`;
}

/** `content` as the template's Biome formatter writes `target` (TypeScript and JSON; anything else as it is). */
function formatted(template: TemplateName, target: string, content: string): string {
  if (!/\.(?:ts|json)$/.test(target)) return content;
  const templateDir = join(REPO_DIR, "templates", template);
  const biome = join(REPO_DIR, "node_modules", "@biomejs", "biome", "bin", "biome");
  const result = spawnSync(process.execPath, [biome, "format", `--stdin-file-path=${relative(templateDir, join(REPO_DIR, target))}`], {
    cwd: templateDir,
    input: content,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`Biome could not format the generated ${target}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Folders of a template that hold only copies, generated files and the template's declared own files. */
const MANAGED_FOLDERS = ["src", "scripts", "test/shared", "variants"];

/** Files in the managed folders that nothing writes and no template declares: left behind when their source went. */
export function orphanedFiles(planned: ReadonlySet<string>): string[] {
  const orphans: string[] = [];
  for (const template of TEMPLATES) {
    const templateDir = join(REPO_DIR, "templates", template);
    const own = new Set(OWN_FILES[template].map((file) => `templates/${template}/${file}`));
    for (const app of appsOf(template)) {
      for (const file of app.store.variantFiles ?? []) own.add(`${appDir(app)}/${file}`);
    }
    for (const folder of MANAGED_FOLDERS) {
      const dir = join(templateDir, folder);
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const path = relative(REPO_DIR, join(entry.parentPath, entry.name)).split("\\").join("/");
        if (path.includes("/node_modules/")) continue;
        if (!planned.has(path) && !own.has(path)) orphans.push(path);
      }
    }
  }
  return orphans.sort();
}
