// A template's session stores: its `variants/stores.json` lists them, the
// first being the one the template folder already contains. Choosing another
// overlays that store's files (`variants/<name>/`) onto the app, deletes the
// files only the default store needs and adjusts package.json; whatever the
// choice, `variants/` itself never reaches the app, so a scaffolded app holds
// only the chosen store's code and configuration. In this repository the
// overlay's README, example settings and entry files are generated from one
// description of each app (starter/generate/), never patched here.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { CliError } from "./errors.js";
import type { DeclaredSecret } from "./secrets.js";

export const VARIANTS_FOLDER = "variants";
const MANIFEST = "stores.json";

export interface StoreChoice {
  name: string;
  label: string;
  hint: string;
  /** Files of the template (relative, "/" separators) that this store does not use. */
  remove?: string[];
  /** package.json `description` for an app on this store. */
  description?: string;
  /** Added or replaced in package.json. */
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  /** Removed from package.json (dependencies and devDependencies). */
  removeDependencies?: string[];
  /** npm scripts this store has no use for. */
  removeScripts?: string[];
  /** The local secrets this store needs, instead of the platform's (`[]`: none). */
  secrets?: DeclaredSecret[];
}

/** The stores a template folder offers, default first; undefined when it offers no choice at all. */
export function readStores(templateDir: string): StoreChoice[] | undefined {
  const path = join(templateDir, VARIANTS_FOLDER, MANIFEST);
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`The template's ${VARIANTS_FOLDER}/${MANIFEST} is not valid JSON: ${(error as Error).message}`);
  }
  const stores = (parsed as { stores?: unknown }).stores;
  if (!Array.isArray(stores) || stores.length === 0 || !stores.every(isStoreChoice)) {
    throw new CliError(`The template's ${VARIANTS_FOLDER}/${MANIFEST} must list its stores as { "stores": [{ "name", "label", "hint" }, ...] }.`);
  }
  return stores;
}

function isStoreChoice(value: unknown): value is StoreChoice {
  const store = value as StoreChoice;
  return (
    typeof store === "object" &&
    store !== null &&
    typeof store.name === "string" &&
    /^[a-z][a-z0-9-]*$/.test(store.name) &&
    typeof store.label === "string" &&
    typeof store.hint === "string"
  );
}

/** The store named `name` among `stores`, or an error listing the valid ones. */
export function findStore(name: string, stores: readonly StoreChoice[] | undefined, template: string): StoreChoice {
  if (stores === undefined) {
    throw new CliError(`The template ${template} offers no choice of session store: leave out --store.`);
  }
  const store = stores.find((candidate) => candidate.name === name);
  if (store) return store;
  const valid = stores.map((candidate) => candidate.name).join(", ");
  const only = stores.length === 1 ? ` (its only store, the default)` : "";
  throw new CliError(`The template ${template} has no store "${name}". Valid stores: ${valid}${only}.`);
}

/**
 * Turns the copied template in `appDir` into the app for `storeName`
 * (undefined: the default store), then removes `variants/`.
 * Returns the store applied, if the template has a choice of stores.
 */
export function applyStore(appDir: string, storeName: string | undefined, template: string): StoreChoice | undefined {
  const stores = readStores(appDir);
  if (stores === undefined) {
    if (storeName !== undefined) findStore(storeName, stores, template);
    return undefined;
  }
  const store = storeName === undefined ? stores[0]! : findStore(storeName, stores, template);
  if (store !== stores[0]) {
    const overlay = join(appDir, VARIANTS_FOLDER, store.name);
    for (const file of store.remove ?? []) rmSync(insideApp(appDir, file), { recursive: true, force: true });
    if (existsSync(overlay)) cpSync(overlay, appDir, { recursive: true, force: true });
    adjustPackageJson(join(appDir, "package.json"), store);
  }
  rmSync(join(appDir, VARIANTS_FOLDER), { recursive: true, force: true });
  return store;
}

function insideApp(appDir: string, file: string): string {
  const relativePath = normalize(file);
  if (relativePath.startsWith("..") || relativePath.startsWith(sep) || relativePath === ".") {
    throw new CliError(`The template's ${VARIANTS_FOLDER}/${MANIFEST} names ${file}, which is not a file inside the app.`);
  }
  return join(appDir, relativePath);
}

function adjustPackageJson(path: string, store: StoreChoice): void {
  if (!existsSync(path)) return;
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  if (store.description !== undefined) manifest.description = store.description;
  const scripts = manifest.scripts as Record<string, string> | undefined;
  for (const name of store.removeScripts ?? []) delete scripts?.[name];
  for (const field of ["dependencies", "devDependencies"] as const) {
    const current = { ...((manifest[field] as Record<string, string> | undefined) ?? {}) };
    for (const name of store.removeDependencies ?? []) delete current[name];
    Object.assign(current, store[field] ?? {});
    // npm keeps dependencies sorted; so does a package.json it would write.
    if (Object.keys(current).length > 0 || manifest[field] !== undefined) {
      manifest[field] = Object.fromEntries(Object.entries(current).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
