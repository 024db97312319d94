/**
 * A template on one of its other stores, inside the repository, for working
 * on a variant: `npx tsx scripts/store-variant.ts node-redis postgres` lays
 * templates/node-redis/variants/postgres/ over a copy of the template in
 * .store-variants/node-redis-postgres/ (ignored by git), exactly as
 * create-hattip-session-app does, and prints the folder. Its packages
 * resolve from the repository's node_modules (and the template's own, linked), so `npx tsc --noEmit` and
 * `npx vitest run` work there with no install. Add --test to run them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { copyTemplateFolder } from "../create-app/src/scaffold.js";
import { applyStore, readStores } from "../create-app/src/stores.js";

const REPO_DIR = fileURLToPath(new URL("..", import.meta.url));

export function materializeVariant(template: string, store: string): string {
  const source = join(REPO_DIR, "templates", template);
  const target = join(REPO_DIR, ".store-variants", `${template}-${store}`);
  rmSync(target, { recursive: true, force: true });
  copyTemplateFolder(source, target);
  applyStore(target, store, template);
  // The template's own installed tools (Deno, for netlify-edge), where npm put any.
  if (existsSync(join(source, "node_modules"))) symlinkSync(join(source, "node_modules"), join(target, "node_modules"), "dir");
  return target;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [template, store, ...rest] = process.argv.slice(2);
  if (!template || !store) {
    console.error("Usage: npx tsx scripts/store-variant.ts <template> <store> [--test]");
    for (const name of ["node-redis", "workers-kv", "netlify-edge", "vercel-edge"]) {
      const stores = readStores(join(REPO_DIR, "templates", name));
      console.error(`  ${name}: ${stores?.map((choice) => choice.name).join(", ") ?? "(no choice)"}`);
    }
    process.exit(1);
  }
  const dir = materializeVariant(template, store);
  console.log(dir);
  if (rest.includes("--test")) {
    const result = spawnSync("npm", ["test"], { cwd: dir, stdio: "inherit" });
    process.exit(result.status ?? 1);
  }
}
