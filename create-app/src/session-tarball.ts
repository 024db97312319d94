// An app made against a build of hattip-session that is not on the registry
// (this repository's `npm run create`, or a template author trying a change):
// the packed package named by CREATE_HATTIP_SESSION_APP_SESSION_TARBALL is
// copied into the app and depended on by a relative `file:` path, so the app
// installs that very build, with `npm install` and with `npm ci` on another
// machine, wherever the app is moved to.
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { CliError } from "./errors.js";

export const SESSION_TARBALL_VARIABLE = "CREATE_HATTIP_SESSION_APP_SESSION_TARBALL";

/** Where in the app the tarball is kept. */
const VENDOR_FOLDER = "vendor";

/** The tarball the environment names, checked before anything is asked or written; undefined when none is named. */
export function sessionTarballFrom(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const named = env[SESSION_TARBALL_VARIABLE];
  if (named === undefined || named === "") return undefined;
  const path = isAbsolute(named) ? named : resolve(cwd, named);
  const problem =
    !existsSync(path) || !statSync(path).isFile()
      ? "there is no such file"
      : !/^hattip-session-.+\.tgz$/.test(basename(path))
        ? "its name is not that of a packed hattip-session"
        : undefined;
  if (problem) {
    throw new CliError(
      `${SESSION_TARBALL_VARIABLE}=${named}: ${problem}. It names the file that \`npm pack -w hattip-session\` writes, e.g. /tmp/hattip-session-0.1.0.tgz.`,
    );
  }
  return path;
}

/** Copies the tarball into the app; returns the dependency that names it. */
export function vendorSessionTarball(appDir: string, tarball: string): string {
  mkdirSync(join(appDir, VENDOR_FOLDER), { recursive: true });
  copyFileSync(tarball, join(appDir, VENDOR_FOLDER, basename(tarball)));
  return `file:${VENDOR_FOLDER}/${basename(tarball)}`;
}
