import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname } from "node:path";

/** Whether `path` (or, if it does not exist yet, its nearest existing parent) is inside a git work tree. */
export function isInsideGitRepository(path: string): boolean {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const result = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], {
    cwd: existing,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return result.status === 0 && result.stdout.trim() === "true";
}

/** Returns false when git is missing or fails: an app without a repository is still an app. */
export function initGitRepository(dir: string): boolean {
  const result = spawnSync("git", ["init", "--quiet"], { cwd: dir, stdio: "ignore" });
  return result.status === 0;
}
