/**
 * A folder laid out like a reader's project, for the docs tests: the given files, a package.json of
 * `"type": "module"`, and this checkout's node_modules, so `hattip-session` resolves to the built
 * package exactly as it does for the real docs and for an app that installed it.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot } from "./scaffold-cli.js";

export function readerProject(parent: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(parent, "project-"));
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
