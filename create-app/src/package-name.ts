// The name written into the new app's package.json: npm's own rules for new
// packages (validate-npm-package-name, the library npm itself uses) decide what
// is valid, and a refused folder name gets a suggestion that passes them.
import validateName from "validate-npm-package-name";

/** Why npm refuses `name` for a new package, or undefined when it is fine. */
export function packageNameProblem(name: string): string | undefined {
  const result = validateName(name);
  if (result.validForNewPackages) return undefined;
  return [...(result.errors ?? []), ...(result.warnings ?? [])].join("; ");
}

const FALLBACK_NAME = "hattip-session-app";

/**
 * A valid package name close to `name`: "My App" -> "my-app", "_private" ->
 * "private", "http" -> "http-app" (a Node built-in cannot be a package name).
 */
export function suggestPackageName(name: string): string {
  const normalized = name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/^[._-]+/, "")
    .replace(/[^a-z0-9-._]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/-+$/, "")
    .slice(0, 200);
  if (normalized === "") return FALLBACK_NAME;
  if (packageNameProblem(normalized) === undefined) return normalized;
  const suffixed = `${normalized}-app`;
  return packageNameProblem(suffixed) === undefined ? suffixed : FALLBACK_NAME;
}
