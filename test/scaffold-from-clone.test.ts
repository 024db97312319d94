import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, readJson, removeDir, repoRoot, sessionVersion } from "./support/scaffold-cli.js";
import { runCommand, userEnvironment } from "./support/scaffold-user-path.js";

/**
 * `npm run create -- <folder> [flags]` at the root: an app from a clone, on
 * this checkout's hattip-session, before anything is published. The app's own
 * tests make a database of their own on the PostgreSQL at 127.0.0.1:5432.
 */
let workDir: string;

beforeAll(() => {
  workDir = makeTempDir("scaffold-from-clone");
});

afterAll(() => removeDir(workDir));

const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();

/** The folders the command packs into, which it removes when done. */
const packFolders = () => readdirSync(tmpdir()).filter((entry) => entry.startsWith("hattip-session-create-"));

describe("npm run create, from a clone", () => {
  it("makes a Node app on PostgreSQL that installs this checkout's hattip-session, and its own tests pass", async () => {
    const app = join(workDir, "my-app");
    const packsBefore = packFolders();
    const env = userEnvironment();
    // Run from a folder below the root, the app's folder given relative to it: it is relative to where the command runs.
    const here = join(repoRoot, "scripts");
    const folder = relative(here, app);
    const created = await runCommand(
      "npm",
      ["run", "create", "--", folder, "--template", "node-redis", "--store", "postgres", "--install", "--no-git"],
      { cwd: here, env, timeoutMs: 600_000 },
    );
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain(`Created ${folder}: Node server, sessions in PostgreSQL.`);
    expect(created.output).toContain(`Next steps:\n  cd ${folder}\n  npm run dev\n  npm test`);

    const tarball = `hattip-session-${sessionVersion()}.tgz`;
    expect(readJson(join(app, "package.json")).dependencies["hattip-session"]).toBe(`file:vendor/${tarball}`);
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8"));
    expect(lock.packages["node_modules/hattip-session"].resolved).toBe(`file:vendor/${tarball}`);
    // What the app installed is this checkout's build, file for file and byte for byte.
    const built = join(repoRoot, "packages", "session", "dist");
    const installed = join(app, "node_modules", "hattip-session", "dist");
    expect(filesUnder(installed)).toEqual(filesUnder(built));
    for (const file of filesUnder(built)) {
      expect(readFileSync(join(installed, file), "utf8"), file).toBe(readFileSync(join(built, file), "utf8"));
    }
    expect(filesUnder(app).filter((file) => !file.startsWith("node_modules/") && /^docs\/|redis/.test(file))).toEqual([]);
    expect(packFolders()).toEqual(packsBefore);

    const tests = await runCommand("npm", ["test"], { cwd: app, env, timeoutMs: 600_000 });
    expect(tests.code, tests.output).toBe(0);
    expect(stripVTControlCharacters(tests.output)).toMatch(/Tests\s+\d+ passed/);
  }, 1_200_000);

  it("ends with the scaffolder's exit code and message when it refuses, writing nothing", async () => {
    const created = await runCommand(
      "npm",
      ["run", "create", "--", join(workDir, "refused"), "--template", "node-redis", "--store", "kv", "--no-install", "--no-git"],
      {
        cwd: repoRoot,
        env: userEnvironment(),
        timeoutMs: 300_000,
      },
    );
    expect(created.code).toBe(1);
    expect(created.output).toContain('The template node-redis has no store "kv". Valid stores: redis, postgres.');
    expect(readdirSync(workDir)).not.toContain("refused");
  }, 300_000);
});
