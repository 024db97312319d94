// Root postinstall: installs the runtime binaries that tests start as child processes
// (Deno for the runtimes suite, an old Node for the scaffolder's version check) into
// node_modules/.test-binaries, outside the root lockfile.
//
// Why outside: deno's npm package lists one optional package per platform, and a
// registry that serves only some platforms' builds (as the one this project is developed
// against does) makes npm write a lockfile without the others. `npm ci` then refuses
// that lockfile as out of sync, here and on every other platform. Each package below is
// pinned to an exact version, which names one immutable tarball per platform, and none
// has dependencies of its own beyond its exact-pinned platform build, so the install is
// as reproducible as a locked one. It runs after `npm install` and `npm ci` alike, and
// does nothing when the pinned versions are already in place.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const testBinariesDir = join(repoRoot, "node_modules", ".test-binaries");

/** Node's own per-platform builds on npm are named node-<os>-<arch>; Windows is "win". */
const oldNodePackage = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;

const PINNED = [
  { name: "deno", version: "2.8.3", why: "the runtimes suite of packages/session" },
  // The oldest Node the scaffolder must refuse politely: Node 18 cannot even parse @clack/prompts.
  { name: oldNodePackage, version: "18.20.8", why: "the scaffolder's Node version check (test/scaffold-cli.test.ts)" },
];

/** @param {string} name */
function installedVersion(name) {
  try {
    const manifest = JSON.parse(readFileSync(join(testBinariesDir, "node_modules", name, "package.json"), "utf8"));
    return String(manifest.version).replace(/^v/, "");
  } catch {
    return undefined;
  }
}

/** npm itself, whether this runs under npm (npm_execpath) or by hand. */
function npmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.c?js$/.test(basename(execPath))) return { command: process.execPath, prefix: [execPath] };
  return { command: "npm", prefix: [] };
}

/** The parent npm's workspace selection must not leak into the nested install. */
function nestedEnvironment() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_config_(workspaces?|include_workspace_root|global|save|save_.*|package_lock.*|dry_run)$/i.test(name)) {
      delete env[name];
    }
  }
  return env;
}

const missing = PINNED.filter(({ name, version }) => installedVersion(name) !== version);
if (missing.length === 0) process.exit(0);

const specs = missing.map(({ name, version }) => `${name}@${version}`);
console.log(`Installing test binaries outside the lockfile: ${specs.join(", ")}`);
if (!existsSync(join(testBinariesDir, "node_modules"))) rmSync(testBinariesDir, { recursive: true, force: true });
const npm = npmCommand();
const result = spawnSync(
  npm.command,
  [
    ...npm.prefix,
    "install",
    "--prefix",
    testBinariesDir,
    "--no-save",
    "--no-package-lock",
    // No third-party install scripts: the binaries are used exactly as the tarballs ship them.
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    ...specs,
  ],
  { stdio: "inherit", env: nestedEnvironment(), shell: npm.command === "npm" && process.platform === "win32" },
);
if (result.status !== 0) {
  console.error(
    `Could not install ${specs.join(", ")} into ${testBinariesDir} (npm exited with ${result.status ?? result.error?.message}).\n` +
      `They are needed by ${missing.map((entry) => entry.why).join(" and ")}. ` +
      "Check the registry connection above, then run `npm run install-test-binaries` (or `npm install` again).",
  );
  process.exit(1);
}
