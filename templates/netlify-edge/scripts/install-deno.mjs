// postinstall: installs the Deno that `npm run dev` and the tests run the edge function in,
// into node_modules/.deno, outside package-lock.json.
//
// Why not a devDependency: the `deno` npm package lists one optional package per platform,
// and a registry or mirror that serves only some of them makes npm write a lockfile without
// the others, which `npm ci` then refuses as out of sync. An exact version names one
// immutable tarball per platform, so installing it here is as reproducible as a locked one.
// Does nothing when that version is already in place; `npm ci` starts from an empty
// node_modules, so it always installs afresh.
import { spawnSync } from "node:child_process";
import { basename } from "node:path";
import { DENO_VERSION, denoInstallDir, installedDenoVersion } from "./deno.mjs";

if (installedDenoVersion() !== DENO_VERSION) {
  // Run npm itself even under pnpm, yarn or bun, whose npm_execpath is their own CLI.
  const execPath = process.env.npm_execpath;
  const viaNode = execPath && /npm-cli\.c?js$/.test(basename(execPath));
  const command = viaNode ? process.execPath : "npm";
  const args = [
    ...(viaNode ? [execPath] : []),
    "install",
    "--prefix",
    denoInstallDir,
    "--no-save",
    "--no-package-lock",
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    `deno@${DENO_VERSION}`,
  ];
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^npm_config_(workspaces?|global|save.*|package_lock.*)$/i.test(name)) delete env[name];
  const result = spawnSync(command, args, { stdio: "inherit", env, shell: !viaNode && process.platform === "win32" });
  if (result.status !== 0) {
    console.error(
      `Could not install Deno ${DENO_VERSION} into ${denoInstallDir}; npm run dev and npm test need it.\n` +
        "Check the registry connection above, then run: npm run install-deno",
    );
    process.exit(1);
  }
}
