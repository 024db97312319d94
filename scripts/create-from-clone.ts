/**
 * `npm run create -- <folder> [flags]`: makes an app from this clone, before
 * anything is published. Builds and packs hattip-session and
 * create-hattip-session-app, runs the packed scaffolder with every flag given
 * (the same flags as `npm create hattip-session-app`), and has it depend on the
 * packed hattip-session: CREATE_HATTIP_SESSION_APP_SESSION_TARBALL makes the
 * scaffolder copy that tarball into the app's vendor/ and name it by a `file:`
 * path, so the app's install takes this checkout's build, not the registry's.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSession, installScaffolder, packWorkspace } from "./local-packages.js";

/**
 * What `npm run` adds to the environment about this repository; an npm that
 * the scaffolder starts in the new app must not see it. The user agent stays:
 * it says which package manager to install with.
 */
function withoutRunScriptVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (/^npm_(package|lifecycle)_|^npm_(command|execpath|node_execpath|config_local_prefix)$|^INIT_CWD$/.test(name)) continue;
    kept[name] = value;
  }
  return kept;
}

const step = (message: string) => console.log(`npm run create: ${message}`);
const packs = mkdtempSync(join(tmpdir(), "hattip-session-create-"));
let exitCode = 1;
try {
  step("building hattip-session");
  buildSession();
  step("packing hattip-session and create-hattip-session-app");
  const session = packWorkspace("hattip-session", packs);
  const scaffolder = packWorkspace("create-hattip-session-app", packs);
  const env = withoutRunScriptVariables(process.env);
  const bin = installScaffolder(scaffolder.tarball, join(packs, "scaffolder"), env);
  step(`running the packed create-hattip-session-app on ${session.tarball.slice(packs.length + 1)}`);
  // Ctrl-C reaches the scaffolder through the terminal's process group: let it clean up and answer.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  const run = spawnSync(bin, process.argv.slice(2), {
    // Where the user typed the command: the project folder is relative to it.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    env: { ...env, CREATE_HATTIP_SESSION_APP_SESSION_TARBALL: session.tarball },
    stdio: "inherit",
  });
  process.off("SIGINT", ignore);
  exitCode = run.status ?? 1;
} catch (error) {
  console.error(`npm run create failed: ${(error as Error).message}`);
} finally {
  // The app keeps its own copy of the tarball, in vendor/.
  rmSync(packs, { recursive: true, force: true });
}
process.exit(exitCode);
