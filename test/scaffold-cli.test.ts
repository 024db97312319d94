import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCreateApp,
  copyFixtureTemplates,
  createAppDir,
  makeTempDir,
  readJson,
  removeDir,
  runCli,
  sessionVersion,
} from "./support/scaffold-cli.js";

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
  // A folder without package.json is not a template and must not be offered.
  mkdirSync(join(templatesRoot, "half-written"));
});

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
    const result = await cli([]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("project folder");
    expect(result.stderr).toContain("--template");
    expect(result.stderr).toContain("--install or --no-install");
    expect(result.stderr).toContain("--git or --no-git");
    expect(result.stderr).toContain("fixture-cookie");
    expect(result.stderr).not.toContain("half-written");
    expect(workEntries()).toEqual([]);
  });

  it("refuses an unknown template and lists the valid ones", async () => {
    const result = await cli(["app", "-t", "rails", "--no-install", "--no-git"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown template "rails"');
    expect(result.stderr).toContain("Valid templates: fixture-cookie");
    expect(workEntries()).toEqual([]);
  });

  it("refuses a folder name that is not a valid npm package name", async () => {
    for (const name of ["My App", "_private", "http"]) {
      const result = await cli([name, "-t", "fixture-cookie", "--no-install", "--no-git"]);
      expect(result.code, name).not.toBe(0);
      expect(result.stderr).toContain("cannot be the package name");
    }
    expect(workEntries()).toEqual([]);
  });

  it("refuses a non-empty folder without --force and leaves it untouched", async () => {
    const target = join(workDir, "busy");
    mkdirSync(target);
    writeFileSync(join(target, "notes.txt"), "mine");
    const refused = await cli(["busy", "-t", "fixture-cookie", "--no-install", "--no-git"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("is not empty");
    expect(readdirSync(target)).toEqual(["notes.txt"]);

    const forced = await cli(["busy", "-t", "fixture-cookie", "--no-install", "--no-git", "--force"]);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(target, "notes.txt"), "utf8")).toBe("mine");
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
    expect(readdirSync(app).sort()).toEqual([
      ".dev.vars",
      ".dev.vars.example",
      ".env",
      ".env.example",
      ".gitignore",
      "package.json",
      "src",
    ]);
    // .env was already ignored by the template; .dev.vars was not, so it is added.
    const ignored = readFileSync(join(app, ".gitignore"), "utf8").split("\n");
    expect(ignored.filter((line) => line === ".env")).toHaveLength(1);
    expect(ignored).toContain(".dev.vars");
    expect(readFileSync(join(app, ".dev.vars"), "utf8")).toMatch(
      /^COOKIE_SECRET=[A-Za-z0-9_-]{43}\nAPI_URL=http:\/\/127.0.0.1:8787\n$/m,
    );
    expect(readFileSync(join(app, ".env"), "utf8")).not.toContain("the-template-authors-own-key");
    expect(result.stdout).toContain("cd first-app");
    expect(result.stdout).toContain("pnpm install");
    expect(result.stdout).toContain("pnpm dev");
    expect(result.stdout).toContain("pnpm test");
    expect(existsSync(join(app, ".git"))).toBe(false);
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

  it("takes the defaults with --yes, naming next steps for npm, and runs git init", async () => {
    const result = await cli(["--yes", "--no-install"], { npm_config_user_agent: "npm/11.6.0 node/v20.20.2" });
    expect(result.code).toBe(0);
    const app = join(workDir, "hattip-session-app");
    expect(readJson(join(app, "package.json")).name).toBe("hattip-session-app");
    expect(existsSync(join(app, ".git"))).toBe(true);
    expect(result.stdout).toContain("npm install");
    expect(result.stdout).toContain("npm run dev");
  });

  it("copies a local template folder given as a path", async () => {
    const result = await cli(["from-path", "-t", join(templatesRoot, "fixture-cookie"), "--no-install", "--no-git"]);
    expect(result.code).toBe(0);
    expect(readJson(join(workDir, "from-path", "package.json")).name).toBe("from-path");
  });

  it("leaves nothing behind when the template is not an app", async () => {
    const result = await cli(["broken", "-t", join(templatesRoot, "half-written"), "--no-install", "--no-git"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("no package.json");
    expect(workEntries()).not.toContain("broken");
    expect(workEntries().filter((entry) => entry.includes("partial"))).toEqual([]);
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
