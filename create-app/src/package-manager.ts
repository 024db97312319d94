// The package manager that installs the app and that the next steps name: the
// one given with --pm, else the one that ran `create` (npm_config_user_agent).
export const PACKAGE_MANAGERS = ["npm", "pnpm", "yarn", "bun"] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/** `npm_config_user_agent` looks like "pnpm/9.1.0 npm/? node/v20.20.2 linux x64". */
export function detectPackageManager(userAgent: string | undefined): PackageManager {
  const name = userAgent?.split(" ")[0]?.split("/")[0];
  return PACKAGE_MANAGERS.find((manager) => manager === name) ?? "npm";
}

export function installCommand(manager: PackageManager): string {
  return manager === "yarn" ? "yarn" : `${manager} install`;
}

export function runScriptCommand(manager: PackageManager, script: string): string {
  if (script === "test" && manager !== "bun") return `${manager} test`;
  return manager === "npm" || manager === "bun" ? `${manager} run ${script}` : `${manager} ${script}`;
}
