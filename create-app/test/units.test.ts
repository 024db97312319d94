// The scaffolder's pure parts, case by case; the CLI end to end is tested from the root test/.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "jsonc-parser";
import { parseCliArgs } from "../src/args.js";
import { isTemplateFile } from "../src/copy-filter.js";
import { CliError } from "../src/errors.js";
import { nodeVersionProblem } from "../src/node-version.js";
import { npmAteFlagsHint } from "../src/npm-hints.js";
import { packageNameProblem, suggestPackageName } from "../src/package-name.js";
import { detectPackageManager, runScriptCommand } from "../src/package-manager.js";
import { fillSecrets } from "../src/secrets.js";
import { renameWorker, workerNameFor } from "../src/wrangler.js";

describe("package names", () => {
  it.each(["my-app", "app.v2", "a", "@acme/shop", "x-y_z"])("accepts %s", (name) => {
    expect(packageNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["", "length must be greater than zero"],
    ["My-App", "capital letters"],
    [".hidden", "period"],
    ["_private", "underscore"],
    ["has space", "URL-friendly"],
    ["fs", "core module"],
    ["http", "core module"],
    ["node_modules", "not a valid package name"],
    ["@scope", "URL-friendly"],
    ["x~y", "special characters"],
    ["a".repeat(215), "214"],
  ])("refuses %j (%s)", (name, reason) => {
    expect(packageNameProblem(name)).toContain(reason);
  });

  it.each([
    ["My App", "my-app"],
    ["_private", "private"],
    ["http", "http-app"],
    ["fs", "fs-app"],
    ["node_modules", "node_modules-app"],
    ["Crème Brûlée", "cr-me-br-l-e"],
    ["...", "hattip-session-app"],
    ["x~y", "x-y"],
  ])("suggests a name that passes npm's check for %j", (name, suggestion) => {
    expect(suggestPackageName(name)).toBe(suggestion);
    expect(packageNameProblem(suggestion)).toBeUndefined();
  });
});

describe("arguments", () => {
  it("reads the folder and every flag", () => {
    expect(parseCliArgs(["app", "-t", "workers-kv", "--no-install", "--git", "--force", "--remote"])).toMatchObject({
      folder: "app",
      template: "workers-kv",
      install: false,
      git: true,
      existingFiles: "keep",
      remote: true,
      yes: false,
    });
  });

  it("leaves unanswered choices undefined, so they are asked or reported", () => {
    expect(parseCliArgs([])).toMatchObject({
      folder: undefined,
      template: undefined,
      name: undefined,
      packageManager: undefined,
      install: undefined,
      git: undefined,
      existingFiles: undefined,
    });
  });

  it("reads --name, --pm, --overwrite and --force", () => {
    expect(parseCliArgs(["app", "--name", "@acme/shop", "--pm", "pnpm", "--overwrite"])).toMatchObject({
      name: "@acme/shop",
      packageManager: "pnpm",
      existingFiles: "remove",
    });
    expect(parseCliArgs(["app", "-f"]).existingFiles).toBe("keep");
  });

  it("ignores the -- that pnpm, yarn and bun pass through", () => {
    expect(parseCliArgs(["app", "--", "--template", "workers-kv"])).toMatchObject({ folder: "app", template: "workers-kv" });
  });

  it.each([
    [["--install", "--no-install"], "contradict"],
    [["--overwrite", "--force"], "contradict"],
    [["--pm", "npx"], "Unknown package manager"],
    [["--templat", "x"], "--help"],
    [["a", "b"], "Expected one project folder, got 2"],
    [["--template"], "--help"],
  ])("refuses %j with a CliError", (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe("package manager", () => {
  it.each([
    ["pnpm/9.12.0 npm/? node/v20.20.2 linux x64", "pnpm", "pnpm dev"],
    ["yarn/1.22.22 npm/? node/v20.20.2 linux x64", "yarn", "yarn dev"],
    ["bun/1.4.5 npm/? node/v20.20.2 linux x64", "bun", "bun run dev"],
    ["npm/11.6.0 node/v20.20.2 linux x64", "npm", "npm run dev"],
    [undefined, "npm", "npm run dev"],
  ])("reads %s", (agent, manager, dev) => {
    const detected = detectPackageManager(agent);
    expect(detected).toBe(manager);
    expect(runScriptCommand(detected, "dev")).toBe(dev);
  });
});

describe("copy filter", () => {
  it.each(["src/app.ts", "_gitignore", ".env.example", "docs/login.png", "netlify/edge-functions/app.ts"])(
    "keeps %s",
    (path) => expect(isTemplateFile(path)).toBe(true),
  );
  it.each(["node_modules/x/index.js", "dist/app.js", ".wrangler/state/kv", ".env", ".dev.vars", "tsconfig.tsbuildinfo", "package-lock.json"])(
    "leaves out %s",
    (path) => expect(isTemplateFile(path)).toBe(false),
  );
});

describe("secrets", () => {
  it("fills every key and secret variable, keeps the rest, and never repeats a key", () => {
    const example = "# keys\nSESSION_KEYS=\nexport COOKIE_SECRET=change-me\nPORT=3000\nKEYBOARD=qwerty\n";
    const first = fillSecrets(example);
    const second = fillSecrets(example);
    expect(first.filled).toBe(2);
    expect(first.text).toMatch(/^SESSION_KEYS=[A-Za-z0-9_-]{43}$/m);
    expect(first.text).toMatch(/^export COOKIE_SECRET=[A-Za-z0-9_-]{43}$/m);
    expect(first.text).toContain("PORT=3000\nKEYBOARD=qwerty\n");
    expect(first.text).not.toContain("change-me");
    expect(first.text).not.toBe(second.text);
  });
});

describe("npm's eaten flags", () => {
  const npm = { npm_config_user_agent: "npm/11.6.0 node/v20.20.2 linux x64" };

  it("names the flags npm kept and puts them after --, values taken from the extra folders", () => {
    const hint = npmAteFlagsHint({ ...npm, npm_config_template: "true", npm_config_git: "false", npm_config_yes: "true" }, ["a1", "workers-kv"]);
    expect(hint).toContain("npm create hattip-session-app@latest a1 -- --template workers-kv --yes --no-git");
  });

  it("still says where -- goes when npm left no trace of the flags", () => {
    expect(npmAteFlagsHint(npm, ["a1", "b2"])).toContain("my-app -- --template workers-kv");
  });

  it("says nothing about -- to pnpm users, who need no --", () => {
    const hint = npmAteFlagsHint({ npm_config_user_agent: "pnpm/9.12.0 npm/? node/v20.20.2" }, ["my", "app"]);
    expect(hint).not.toContain("--");
    expect(hint).toContain("quotes");
  });
});

describe("Node version check", () => {
  it.each(["20.19.0", "20.20.2", "21.0.0", "22.1.0", "24.15.0"])("accepts Node %s", (version) => {
    expect(nodeVersionProblem(version)).toBeUndefined();
  });

  it.each(["18.20.8", "20.18.3", "20.12.0", "16.0.0", "19.9.0"])("refuses Node %s, saying what is needed", (version) => {
    expect(nodeVersionProblem(version)).toContain(`needs Node 20.19 or later; this is Node ${version}`);
  });
});

describe("worker names", () => {
  it.each([
    ["my-app", "my-app"],
    ["@acme/shop.v2", "acme-shop-v2"],
    ["my_app", "my-app"],
    ["a".repeat(80), "a".repeat(63)],
    [`${"a".repeat(62)}.b`, "a".repeat(62)],
    ["___", "hattip-session-worker"],
  ])("turns %j into a valid worker name", (packageName, worker) => {
    expect(workerNameFor(packageName)).toBe(worker);
    expect(worker).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
  });

  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
  const appWith = (file: string, text: string) => {
    dir = mkdtempSync(join(tmpdir(), "worker-name-"));
    writeFileSync(join(dir, file), text);
    return dir;
  };

  it("renames the worker in wrangler.jsonc and keeps every comment and other key", () => {
    const jsonc = `{
  // Cloudflare Workers configuration.
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "hattip-session-workers-kv", // replaced by create-hattip-session-app
  "main": "src/worker.ts",
  /* KV for sessions */
  "kv_namespaces": [{ "binding": "SESSIONS", "id": "0000", "name": "not-this-one" }],
}
`;
    const app = appWith("wrangler.jsonc", jsonc);
    expect(renameWorker(app, "my-app")).toBe("wrangler.jsonc");
    const text = readFileSync(join(app, "wrangler.jsonc"), "utf8");
    expect(text).toBe(jsonc.replace('"name": "hattip-session-workers-kv"', '"name": "my-app"'));
    expect(parse(text).kv_namespaces[0].name).toBe("not-this-one");
  });

  it("renames the top-level name in wrangler.toml, not a table's", () => {
    const toml = `# Workers config\nname = "hattip-session-workers-kv" # placeholder\nmain = "src/worker.ts"\n\n[[kv_namespaces]]\nname = "x"\n`;
    const app = appWith("wrangler.toml", toml);
    expect(renameWorker(app, "shop")).toBe("wrangler.toml");
    expect(readFileSync(join(app, "wrangler.toml"), "utf8")).toBe(toml.replace('name = "hattip-session-workers-kv"', 'name = "shop"'));
  });

  it("adds a name to a wrangler.jsonc that has none", () => {
    const app = appWith("wrangler.jsonc", '{\n  // no name yet\n  "main": "src/worker.ts"\n}\n');
    renameWorker(app, "shop");
    const text = readFileSync(join(app, "wrangler.jsonc"), "utf8");
    expect(parse(text)).toEqual({ main: "src/worker.ts", name: "shop" });
    expect(text).toContain("// no name yet");
  });

  it("refuses a wrangler.jsonc it cannot read, naming the file", () => {
    const app = appWith("wrangler.jsonc", '{ "name": ');
    expect(() => renameWorker(app, "shop")).toThrow(/wrangler\.jsonc cannot be read/);
  });

  it("leaves an app without a wrangler config alone", () => {
    dir = mkdtempSync(join(tmpdir(), "worker-name-"));
    expect(renameWorker(dir, "shop")).toBeUndefined();
  });
});
