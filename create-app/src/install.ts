// Installing the new app's dependencies with the chosen package manager, in
// the user's terminal, and saying exactly what failed when it does.
import { spawnSync } from "node:child_process";
import { installCommand, type PackageManager } from "./package-manager.js";

export type InstallOutcome = { ok: true } | { ok: false; reason: string };

export function installDependencies(manager: PackageManager, dir: string, env: NodeJS.ProcessEnv): InstallOutcome {
  const command = installCommand(manager);
  const result = spawnSync(manager, ["install"], {
    cwd: dir,
    env,
    stdio: "inherit",
    // npm, pnpm and yarn are .cmd shims on Windows.
    shell: process.platform === "win32",
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      ok: false,
      reason: missing ? `${manager} is not installed (or not on PATH)` : `${command} could not start: ${result.error.message}`,
    };
  }
  if (result.status === 0) return { ok: true };
  return { ok: false, reason: `${command} exited with ${result.status ?? result.signal}` };
}
