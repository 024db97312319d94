// git for the new app: find an enclosing repository (then leave git alone and
// say so), init, and make the initial commit as create-next-app and C3 do.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname } from "node:path";

/** The top folder of the git work tree holding `path` (or its nearest existing parent), if any. */
export function enclosingRepository(path: string): string | undefined {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const result = spawnSync("git", ["rev-parse", "--show-toplevel"], {
    cwd: existing,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return result.status === 0 && result.stdout.trim() !== "" ? result.stdout.trim() : undefined;
}

export type GitOutcome = { ok: true } | { ok: false; reason: string };

export function initRepository(dir: string): GitOutcome {
  return git(dir, ["init", "--quiet"]);
}

/** Commits every file not ignored; fails (with git's reason) e.g. when no user.name is set. */
export function commitAll(dir: string, message: string): GitOutcome {
  const added = git(dir, ["add", "--all"]);
  if (!added.ok) return added;
  return git(dir, ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "--message", message]);
}

function git(dir: string, args: string[]): GitOutcome {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  if (result.error) return { ok: false, reason: `git could not be run (${result.error.message})` };
  if (result.status === 0) return { ok: true };
  const said = result.stderr.trim().split("\n").filter(Boolean).slice(-3).join(" ");
  return { ok: false, reason: said || `git ${args[0]} exited with ${result.status}` };
}
