import { describe, expect, it } from "vitest";
import { parseCliArgs } from "../src/args.js";
import { isTemplateFile } from "../src/copy-filter.js";
import { CliError } from "../src/errors.js";
import { packageNameProblem, suggestPackageName } from "../src/package-name.js";
import { detectPackageManager, runScriptCommand } from "../src/package-manager.js";
import { fillSecrets } from "../src/secrets.js";

describe("package names", () => {
  it.each(["my-app", "app.v2", "a", "@acme/shop", "x~y_z"])("accepts %s", (name) => {
    expect(packageNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["", "empty"],
    ["My-App", "lowercase"],
    [".hidden", "dot"],
    ["_private", "underscore"],
    ["has space", "lowercase letters"],
    ["fs", "built-in"],
    ["node_modules", "reserved"],
    ["@scope", "@scope/name"],
    ["@/name", "@scope/name"],
    ["a".repeat(215), "214"],
  ])("refuses %j (%s)", (name, reason) => {
    expect(packageNameProblem(name)).toContain(reason);
  });

  it("suggests a valid name for a refused one", () => {
    for (const name of ["My App", "_private", ".x", "Crème Brûlée"]) {
      expect(packageNameProblem(suggestPackageName(name))).toBeUndefined();
    }
  });
});

describe("arguments", () => {
  it("reads the folder and every flag", () => {
    expect(parseCliArgs(["app", "-t", "workers-kv", "--no-install", "--git", "--force", "--remote"])).toMatchObject({
      folder: "app",
      template: "workers-kv",
      install: false,
      git: true,
      force: true,
      remote: true,
      yes: false,
    });
  });

  it("leaves unanswered choices undefined, so they are asked or reported", () => {
    expect(parseCliArgs([])).toMatchObject({ folder: undefined, template: undefined, install: undefined, git: undefined });
  });

  it.each([
    [["--install", "--no-install"]],
    [["--templat", "x"]],
    [["a", "b"]],
    [["--template"]],
  ])("refuses %j with a CliError", (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(CliError);
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
