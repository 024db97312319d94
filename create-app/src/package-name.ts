import { builtinModules } from "node:module";

/**
 * npm's rules for a new package name (the ones validate-npm-package-name
 * enforces for new packages), kept here as one small function rather than a
 * dependency: at most 214 characters, lowercase, URL-safe characters, no
 * leading dot or underscore, not a Node built-in, optionally @scope/name.
 * Returns why a name is refused, or undefined when it is fine.
 */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (name.length > 214) return "a package name is at most 214 characters";
  if (name !== name.toLowerCase()) return "a package name must be lowercase";
  if (name.trim() !== name) return "a package name cannot start or end with spaces";
  const [scope, bare] = name.startsWith("@") ? splitScope(name) : [undefined, name];
  if (bare === undefined) return "a scoped name looks like @scope/name";
  if (bare.startsWith(".") || bare.startsWith("_")) {
    return "a package name cannot start with a dot or an underscore";
  }
  const safe = /^[a-z0-9-._~]+$/;
  if (!safe.test(bare) || (scope !== undefined && !safe.test(scope))) {
    return "use only lowercase letters, digits, and - . _ ~";
  }
  if (["node_modules", "favicon.ico"].includes(bare)) return `"${bare}" is reserved`;
  if (scope === undefined && builtinModules.includes(bare)) {
    return `"${bare}" is a Node.js built-in module`;
  }
  return undefined;
}

function splitScope(name: string): [string, string | undefined] {
  const slash = name.indexOf("/");
  if (slash < 2 || slash === name.length - 1) return ["", undefined];
  return [name.slice(1, slash), name.slice(slash + 1)];
}

/** A valid suggestion for a refused folder name: "My App" -> "my-app". */
export function suggestPackageName(name: string): string {
  const suggestion = name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/^[._]+/, "")
    .replace(/[^a-z0-9-._~]+/g, "-");
  return suggestion || "hattip-session-app";
}
