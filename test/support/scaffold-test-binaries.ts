import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./scaffold-cli.js";

/**
 * The Node 18 that the root postinstall (scripts/install-test-binaries.mjs)
 * installs outside the lockfile, to run the scaffolder as an outdated Node would.
 */
export function oldNodeBinary(): string {
  const platform = process.platform === "win32" ? "win" : process.platform;
  const packageDir = join(repoRoot, "node_modules", ".test-binaries", "node_modules", `node-${platform}-${process.arch}`);
  const binary = join(packageDir, "bin", process.platform === "win32" ? "node.exe" : "node");
  if (!existsSync(binary)) {
    throw new Error(`Node 18 is not installed at ${binary}: run npm run install-test-binaries at the repository root.`);
  }
  return binary;
}
