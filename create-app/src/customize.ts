import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeLocalSecrets } from "./secrets.js";

/** npm pack drops these dotfiles, so templates ship them with an underscore. */
const DOTFILE_RENAMES = [
  ["_gitignore", ".gitignore"],
  ["_npmrc", ".npmrc"],
] as const;

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];

export interface Customization {
  packageName: string;
  /** The range that replaces the monorepo's workspace dependency, e.g. "^0.1.0". */
  hattipSessionRange: string;
}

/** Turns a copied template into the user's app. Returns the secret files it generated. */
export function customizeApp(appDir: string, options: Customization): { secretFiles: string[] } {
  for (const [shipped, real] of DOTFILE_RENAMES) {
    const from = join(appDir, shipped);
    if (existsSync(from) && !existsSync(join(appDir, real))) renameSync(from, join(appDir, real));
  }
  rewritePackageJson(join(appDir, "package.json"), options);
  return { secretFiles: writeLocalSecrets(appDir) };
}

function rewritePackageJson(path: string, { packageName, hattipSessionRange }: Customization): void {
  if (!existsSync(path)) return;
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  manifest.name = packageName;
  for (const field of DEPENDENCY_FIELDS) {
    const dependencies = manifest[field] as Record<string, string> | undefined;
    const current = dependencies?.["hattip-session"];
    if (dependencies && current !== undefined && isWorkspaceRange(current)) {
      dependencies["hattip-session"] = hattipSessionRange;
    }
  }
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** "*" and "workspace:..." only make sense inside the monorepo; real ranges are kept. */
function isWorkspaceRange(range: string): boolean {
  return range === "*" || range.startsWith("workspace:");
}
