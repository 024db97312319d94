/**
 * This checkout's packages as `npm publish` would upload them: hattip-session
 * built and packed, create-hattip-session-app packed (its prepack builds it and
 * bundles the templates) and installed, as `npm create` would, in a folder of
 * its own outside the repository. Used by `npm run create` and by the tests
 * that scaffold from packed tarballs.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPOSITORY_DIR = fileURLToPath(new URL("..", import.meta.url));

type Workspace = "hattip-session" | "create-hattip-session-app";

/** `npm run build -w hattip-session`: the dist/ that npm pack takes. */
export function buildSession(): void {
  execFileSync("npm", ["run", "build", "--silent", "-w", "hattip-session"], { cwd: REPOSITORY_DIR, stdio: ["ignore", "ignore", "inherit"] });
}

/** `npm pack` of a workspace into `into`: the tarball's path, and the files it holds. */
export function packWorkspace(workspace: Workspace, into: string): { tarball: string; files: string[] } {
  // --silent: without npm's banner for each lifecycle script; their own errors still reach stderr.
  const output = execFileSync("npm", ["pack", "--json", "--silent", "--pack-destination", into, "-w", workspace], {
    cwd: REPOSITORY_DIR,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  // A lifecycle script (create-app's prepack) may print before npm's JSON.
  const [packed] = JSON.parse(output.slice(output.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: join(into, packed!.filename), files: packed!.files.map((file) => file.path) };
}

/**
 * Installs a packed create-hattip-session-app into `into` (a folder outside
 * the repository, with a package.json of its own) and returns its bin.
 */
export function installScaffolder(tarball: string, into: string, env: NodeJS.ProcessEnv): string {
  mkdirSync(into, { recursive: true });
  writeFileSync(join(into, "package.json"), '{ "private": true }\n');
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: into,
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return join(into, "node_modules", ".bin", "create-hattip-session-app");
}
