import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCreateApp,
  cliPath,
  copyFixtureTemplates,
  createAppDir,
  makeTempDir,
  readJson,
  removeDir,
  runCli,
  sessionVersion,
} from "./support/scaffold-cli.js";
import { oldNodeBinary } from "./support/scaffold-test-binaries.js";
import { runCommand } from "./support/scaffold-user-path.js";

let workDir: string;
let templatesRoot: string;
const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { cwd: workDir, env: { CREATE_HATTIP_SESSION_APP_TEMPLATES: templatesRoot, ...env } });

beforeAll(() => {
  buildCreateApp();
  workDir = makeTempDir("scaffold-cli");
  templatesRoot = copyFixtureTemplates(makeTempDir("scaffold-cli-templates"));
  // Left in a template folder by development; none of it may reach a new app.
  const fixture = join(templatesRoot, "fixture-cookie");
  mkdirSync(join(fixture, "node_modules", "left-over"), { recursive: true });
  mkdirSync(join(fixture, "dist"));
  writeFileSync(join(fixture, "dist", "bundle.js"), "built");
  writeFileSync(join(fixture, ".env"), "SESSION_KEYS=the-template-authors-own-key\n");
  mkdirSync(join(fixture, ".wrangler"));
  // Screenshots for the template's README, as templates/*/docs/ holds: they stay with the template.
  mkdirSync(join(fixture, "docs", "phone"), { recursive: true });
  writeFileSync(join(fixture, "docs", "home.png"), "png");
  writeFileSync(join(fixture, "docs", "phone", "profile.png"), "png");
  // A folder without package.json is not a template and must not be offered.
  mkdirSync(join(templatesRoot, "half-written"));
  // An app whose install always fails, without reaching any registry.
  mkdirSync(join(templatesRoot, "fixture-failing-install"));
  writeFileSync(
    join(templatesRoot, "fixture-failing-install", "package.json"),
    JSON.stringify({ name: "failing", private: true, scripts: { preinstall: "exit 3", dev: "node ." } }),
  );
});

/** A git with no identity and no guessing: a commit fails as on a fresh machine. */
const gitWithoutIdentity = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_COUNT: "1",
  GIT_CONFIG_KEY_0: "user.useConfigOnly",
  GIT_CONFIG_VALUE_0: "true",
  GIT_AUTHOR_NAME: undefined,
  GIT_AUTHOR_EMAIL: undefined,
  GIT_COMMITTER_NAME: undefined,
  GIT_COMMITTER_EMAIL: undefined,
  EMAIL: undefined,
};
const gitWithIdentity = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Test User",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test User",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};
const npmAgent = { npm_config_user_agent: "npm/11.6.0 node/v20.20.2 linux x64" };
const pnpmAgent = { npm_config_user_agent: "pnpm/9.12.0 npm/? node/v20.20.2 linux x64" };
const git = (dir: string, ...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });

afterAll(() => {
  removeDir(workDir);
  removeDir(templatesRoot && join(templatesRoot, ".."));
});

const workEntries = () => readdirSync(workDir).sort();

describe("create-hattip-session-app without a terminal", () => {
  it("lists every flag in --help and prints its version with --version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--template", "--remote", "--install", "--no-install", "--git", "--no-git", "--force", "--yes", "--help", "--version"]) {
      expect(help.stdout).toContain(flag);
    }
    const version = await cli(["--version"]);
    expect(version.stdout.trim()).toBe(readJson(join(createAppDir, "package.json")).version);
  });

  it("names every missing answer and exits non-zero instead of prompting", async () => {
    const result = await cli([], pnpmAgent);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("project folder");
    expect(result.stderr).toContain("--template");
    expect(result.stderr).toContain("--install or --no-install");
    expect(result.stderr).toContain("--git or --no-git");
    expect(result.stderr).toContain("fixture-cookie");
    expect(result.stderr).not.toContain("half-written");
    expect(result.stderr).toContain("Pass --yes");
    expect(result.stderr).not.toContain("-- --yes");
    expect(workEntries()).toEqual([]);
  });

  it("tells npm users that --yes goes after --, and that npm kept the one they gave", async () => {
    const result = await cli([], { ...npmAgent, npm_config_yes: "true" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("npm create hattip-session-app@latest my-app -- --yes");
    expect(result.stderr).toContain("as it did with the --yes you gave");
  });

  it("explains 'Expected one project folder' when npm kept the flags, with the command that works", async () => {
    const result = await cli(["a1", "workers-kv"], { ...npmAgent, npm_config_template: "true", npm_config_install: "false" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Expected one project folder, got 2: a1 workers-kv");
    expect(result.stderr).toContain("npm create hattip-session-app@latest a1 -- --template workers-kv --no-install");
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(workEntries()).toEqual([]);
  });

  it("refuses an old Node in words before loading anything, with the same wording as everywhere", async () => {
    const oldNode = oldNodeBinary();
    const result = await runCommand(oldNode, [cliPath, "app", "-t", "fixture-cookie", "--no-install", "--no-git"], {
      cwd: workDir,
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain("needs Node 20.19 or later; this is Node 18.20.8");
    expect(result.output).not.toContain("SyntaxError");
    expect(readJson(join(createAppDir, "package.json")).engines.node).toBe(">=20.19");
    expect(workEntries()).toEqual([]);
  });

  it("refuses an unknown template and lists the valid ones", async () => {
    const result = await cli(["app", "-t", "rails", "--no-install", "--no-git"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown template "rails"');
    expect(result.stderr).toContain("Valid templates: fixture-cookie");
    expect(workEntries()).toEqual([]);
  });

  it("asks for a package name when the folder's cannot be one, suggesting one that npm accepts", async () => {
    for (const [name, suggestion] of [
      ["http", "http-app"],
      ["fs", "fs-app"],
      ["node_modules", "node_modules-app"],
      ["My App", "my-app"],
    ]) {
      const result = await cli([name!, "-t", "fixture-cookie", "--no-install", "--no-git"]);
      expect(result.code, name).toBe(1);
      expect(result.stderr).toContain(`"${name}" cannot be a package name`);
      expect(result.stderr).toContain(`pass --name ${suggestion}`);
      expect(result.stderr).not.toContain(`Try "${name}"`);
    }
    expect(workEntries()).toEqual([]);
  });

  it("takes the suggested package name with --yes, and any valid one with --name", async () => {
    const suggested = await cli(["http", "-t", "fixture-cookie", "--no-install", "--no-git", "--yes"]);
    expect(suggested.code).toBe(0);
    expect(suggested.stdout).toContain("Package name: http-app");
    expect(readJson(join(workDir, "http", "package.json")).name).toBe("http-app");

    const named = await cli(["fs", "-t", "fixture-cookie", "--no-install", "--no-git", "--name", "@acme/files"]);
    expect(named.code).toBe(0);
    expect(readJson(join(workDir, "fs", "package.json")).name).toBe("@acme/files");

    const refused = await cli(["other", "-t", "fixture-cookie", "--no-install", "--no-git", "--name", "Bad Name"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--name "Bad Name" cannot be a package name');
    expect(workEntries()).not.toContain("other");
    removeDir(join(workDir, "http"));
    removeDir(join(workDir, "fs"));
  });

  it("leaves a non-empty folder untouched unless told to keep or remove its files", async () => {
    const target = join(workDir, "busy");
    mkdirSync(join(target, ".git"), { recursive: true });
    writeFileSync(join(target, ".git", "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(target, "notes.txt"), "mine");
    writeFileSync(join(target, "package.json"), "{}");

    const refused = await cli(["busy", "-t", "fixture-cookie", "--no-install", "--no-git"], pnpmAgent);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("busy is not empty.");
    expect(refused.stderr).toContain("--overwrite to remove them, or --force to keep them");
    const refusedWithYes = await cli(["busy", "-t", "fixture-cookie", "--yes"], npmAgent);
    expect(refusedWithYes.code).toBe(1);
    expect(refusedWithYes.stderr).toContain("busy is not empty. Choose another folder, or pass -- --overwrite");
    expect(readdirSync(target).sort()).toEqual([".git", "notes.txt", "package.json"]);

    const kept = await cli(["busy", "-t", "fixture-cookie", "--no-install", "--no-git", "--force"]);
    expect(kept.code).toBe(0);
    expect(readFileSync(join(target, "notes.txt"), "utf8")).toBe("mine");
    expect(readJson(join(target, "package.json")).name).toBe("busy");

    const removed = await cli(["busy", "-t", "fixture-cookie", "--no-install", "--no-git", "--overwrite"]);
    expect(removed.code).toBe(0);
    expect(existsSync(join(target, "notes.txt"))).toBe(false);
    expect(readFileSync(join(target, ".git", "HEAD"), "utf8")).toBe("ref: refs/heads/main\n");
    expect(readJson(join(target, "package.json")).name).toBe("busy");
    removeDir(target);
  });

  it("turns the template into the user's app", async () => {
    const result = await cli(["first-app", "-t", "fixture-cookie", "--no-install", "--no-git"], {
      npm_config_user_agent: "pnpm/9.12.0 npm/? node/v20.20.2 linux x64",
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const app = join(workDir, "first-app");
    const manifest = readJson(join(app, "package.json"));
    expect(manifest.name).toBe("first-app");
    expect(manifest.dependencies["hattip-session"]).toBe(`^${sessionVersion()}`);
    expect(manifest.dependencies["@hattip/compose"]).toBe("0.0.49");
    expect(readdirSync(app).sort()).toEqual([".dev.vars", ".dev.vars.example", ".env", ".env.example", ".gitignore", "package.json", "src"]);
    // .env was already ignored by the template; .dev.vars was not, so it is added.
    const ignored = readFileSync(join(app, ".gitignore"), "utf8").split("\n");
    expect(ignored.filter((line) => line === ".env")).toHaveLength(1);
    expect(ignored).toContain(".dev.vars");
    expect(readFileSync(join(app, ".dev.vars"), "utf8")).toMatch(/^COOKIE_SECRET=[A-Za-z0-9_-]{43}\nAPI_URL=http:\/\/127.0.0.1:8787\n$/m);
    expect(readFileSync(join(app, ".env"), "utf8")).not.toContain("the-template-authors-own-key");
    expect(result.stdout).toContain("Created first-app from fixture-cookie.");
    expect(result.stdout).toContain("cd first-app");
    expect(result.stdout).toContain("pnpm install");
    expect(result.stdout).toContain("pnpm dev");
    expect(result.stdout).toContain("pnpm test");
    expect(existsSync(join(app, ".git"))).toBe(false);
    // Plain lines without a terminal: none of the prompt library's frame.
    expect(result.stdout).not.toMatch(/[│┌└◇◆●■]/);
    // No staging folder is left beside the app.
    expect(workEntries()).toEqual(["first-app"]);
  });

  it("writes a fresh 32-byte key into .env, different in every app", async () => {
    await cli(["second-app", "-t", "fixture-cookie", "--no-install", "--no-git"]);
    const keyOf = (app: string) => {
      const env = readFileSync(join(workDir, app, ".env"), "utf8");
      expect(env).toContain("PORT=3000");
      return /^SESSION_KEYS=(.*)$/m.exec(env)?.[1] ?? "";
    };
    const [first, second] = [keyOf("first-app"), keyOf("second-app")];
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first, "base64url")).toHaveLength(32);
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
  });

  it("takes the defaults with --yes, naming next steps for npm, and makes a first commit without the secrets", async () => {
    const result = await cli(["--yes", "--no-install"], { ...npmAgent, ...gitWithIdentity });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const app = join(workDir, "hattip-session-app");
    expect(readJson(join(app, "package.json")).name).toBe("hattip-session-app");
    expect(git(app, "log", "--format=%s").trim()).toBe("Initial commit from create-hattip-session-app");
    const committed = git(app, "ls-files").trim().split("\n");
    expect(committed).toEqual(expect.arrayContaining([".gitignore", "package.json", ".env.example"]));
    expect(committed).not.toContain(".env");
    expect(committed).not.toContain(".dev.vars");
    expect(git(app, "status", "--porcelain")).toBe("");
    expect(result.stdout).toContain("Made the first git commit.");
    expect(result.stdout).toContain("npm install");
    expect(result.stdout).toContain("npm run dev");
    removeDir(app);
  });

  it("keeps the repository and says how to commit when git has no identity", async () => {
    const result = await cli(["no-identity", "-t", "fixture-cookie", "--no-install", "--git"], gitWithoutIdentity);
    expect(result.code).toBe(0);
    const app = join(workDir, "no-identity");
    expect(existsSync(join(app, ".git"))).toBe(true);
    expect(result.stderr).toContain("the first commit failed");
    expect(result.stderr).toContain("git config --global user.name");
    removeDir(app);
  });

  it("says it skipped git init inside an existing repository, and why", async () => {
    const outer = join(workDir, "monorepo");
    mkdirSync(outer);
    git(outer, "init", "--quiet");
    const asked = await runCli(["packages/web", "-t", "fixture-cookie", "--no-install", "--git"], {
      cwd: outer,
      env: { CREATE_HATTIP_SESSION_APP_TEMPLATES: templatesRoot },
    });
    expect(asked.code).toBe(0);
    expect(asked.stderr).toContain("Skipped git init: the app is inside the git repository at the current folder.");
    expect(existsSync(join(outer, "packages", "web", ".git"))).toBe(false);
    const defaulted = await runCli(["packages/api", "-t", "fixture-cookie", "--no-install", "--yes"], {
      cwd: join(outer, "packages"),
      env: { CREATE_HATTIP_SESSION_APP_TEMPLATES: templatesRoot },
    });
    expect(defaulted.code).toBe(0);
    expect(defaulted.stdout).toContain("Skipped git init: the app is inside the git repository at ..");
    removeDir(outer);
  });

  it("names the worker after the project in the template's wrangler.jsonc, keeping its comments", async () => {
    const result = await cli(["@acme/edge-shop", "-t", "fixture-worker", "--no-install", "--no-git"]);
    expect(result.code).toBe(0);
    const app = join(workDir, "@acme", "edge-shop");
    const config = readFileSync(join(app, "wrangler.jsonc"), "utf8");
    expect(config).toContain('"name": "edge-shop",');
    expect(config).toContain("// The scaffolder replaces this placeholder");
    expect(config).toContain("/* Sessions live in KV. */");
    expect(result.stdout).toContain('Named the worker "edge-shop" in wrangler.jsonc.');
    removeDir(join(workDir, "@acme"));
  });

  it("exits non-zero when the install fails, saying what failed and what to run", async () => {
    const result = await cli(["fails", "-t", "fixture-failing-install", "--install", "--no-git", "--pm", "npm"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Installing dependencies failed: npm install exited with 3. The app itself is in place.");
    expect(result.stderr).toContain("cd fails && npm install");
    expect(result.stdout).toContain("Next steps:\n  cd fails\n  npm install\n  npm run dev");
    expect(readJson(join(workDir, "fails", "package.json")).name).toBe("fails");
    removeDir(join(workDir, "fails"));
  });

  it("installs with the manager --pm names, and says so when it is not installed", async () => {
    const result = await cli(["with-pnpm", "-t", "fixture-failing-install", "--install", "--no-git", "--pm", "pnpm"], {
      // Only node's own folder on PATH: no pnpm anywhere.
      PATH: dirname(process.execPath),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("pnpm is not installed (or not on PATH)");
    expect(result.stderr).toContain("cd with-pnpm && pnpm install");
    expect(result.stdout).toContain("pnpm dev");
    removeDir(join(workDir, "with-pnpm"));
  });

  it("copies a local template folder given as a path, relative to where it runs", async () => {
    const result = await cli(["from-path", "-t", join(templatesRoot, "fixture-cookie"), "--no-install", "--no-git"]);
    expect(result.code).toBe(0);
    expect(readJson(join(workDir, "from-path", "package.json")).name).toBe("from-path");
    cpSync(join(templatesRoot, "fixture-cookie"), join(workDir, "my-template"), { recursive: true });
    const relative = await cli(["from-relative", "-t", "./my-template", "--no-install", "--no-git"]);
    expect(relative.code).toBe(0);
    expect(readJson(join(workDir, "from-relative", "package.json")).name).toBe("from-relative");
    removeDir(join(workDir, "my-template"));
    removeDir(join(workDir, "from-relative"));
  });

  it("leaves nothing behind when the template is not an app", async () => {
    const result = await cli(["broken", "-t", join(templatesRoot, "half-written"), "--no-install", "--no-git"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("no package.json");
    expect(workEntries()).not.toContain("broken");
    expect(workEntries().filter((entry) => entry.includes("partial"))).toEqual([]);
  });

  it("names a folder given as an absolute path outside the current one as it was typed", async () => {
    const elsewhere = makeTempDir("scaffold-cli-elsewhere");
    const app = join(elsewhere, "abs-app");
    const result = await cli([app, "-t", "fixture-cookie", "--no-install", "--no-git"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created ${app} from fixture-cookie.`);
    expect(result.stdout).toContain(`Next steps:\n  cd ${app}\n`);
    removeDir(elsewhere);
  });

  it("scaffolds into the current folder when it is empty, keeping the folder itself", async () => {
    const here = join(workDir, "here-app");
    mkdirSync(here);
    const folderBefore = statSync(here).ino;
    const result = await runCli([".", "-t", "fixture-cookie", "--no-install", "--no-git"], {
      cwd: here,
      env: { CREATE_HATTIP_SESSION_APP_TEMPLATES: templatesRoot },
    });
    expect(result.code).toBe(0);
    expect(readJson(join(here, "package.json")).name).toBe("here-app");
    expect(statSync(here).ino).toBe(folderBefore);
    expect(result.stdout).not.toContain("cd ");
    expect(readdirSync(workDir).filter((entry) => entry.includes("partial"))).toEqual([]);
  });
});
