/**
 * The docs whose TypeScript blocks must compile and whose promises must name tests: the package's
 * README, docs/, SECURITY.md and RELIABILITY.md, the repository's own READMEs, every template's and
 * create-app's README. A new doc in one of these folders is picked up without editing this list.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

export function documents(root = REPO_ROOT): string[] {
  const markdownIn = (dir: string) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((name) => name.endsWith(".md"))
          .sort()
          .map((name) => join(root, dir, name))
      : [];
  const templates = existsSync(join(root, "templates"))
    ? readdirSync(join(root, "templates"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(root, "templates", entry.name, "README.md"))
        .sort()
    : [];
  return [
    join(root, "README.md"),
    join(root, "CONTRIBUTING.md"),
    join(root, "packages/session/README.md"),
    join(root, "packages/session/SECURITY.md"),
    join(root, "packages/session/RELIABILITY.md"),
    ...markdownIn("packages/session/docs"),
    join(root, "starter/README.md"),
    join(root, "create-app/README.md"),
    ...templates,
  ].filter((path) => existsSync(path));
}
