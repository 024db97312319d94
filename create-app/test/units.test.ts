// The scaffolder's pure parts, case by case; the CLI end to end is tested from the root test/.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "jsonc-parser";
import { parseCliArgs } from "../src/args.js";
import { listTemplates, platformNamed } from "../src/catalog.js";
import { isTemplateFile } from "../src/copy-filter.js";
import { customizeApp } from "../src/customize.js";
import { CliError } from "../src/errors.js";
import { nodeVersionProblem } from "../src/node-version.js";
import { npmAteFlagsHint } from "../src/npm-hints.js";
import { packageNameProblem, suggestPackageName } from "../src/package-name.js";
import { detectPackageManager, runScriptCommand } from "../src/package-manager.js";
import { copyTemplateFolder } from "../src/scaffold.js";
import { fillSecrets } from "../src/secrets.js";
import { SESSION_TARBALL_VARIABLE, sessionTarballFrom } from "../src/session-tarball.js";
import { applyStore, findStore, readStores } from "../src/stores.js";
import { createdLine } from "../src/summary.js";
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

const templatesDir = fileURLToPath(new URL("../../templates", import.meta.url));

const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();

describe("copy filter", () => {
  it.each(["src/app.ts", "_gitignore", ".env.example", "docs/deploy.md", "public/logo.png", "netlify/edge-functions/app.ts"])("keeps %s", (path) =>
    expect(isTemplateFile(path)).toBe(true),
  );
  it.each([
    "node_modules/x/index.js",
    "dist/app.js",
    ".wrangler/state/kv",
    ".env",
    ".dev.vars",
    "tsconfig.tsbuildinfo",
    "package-lock.json",
    "docs/login.png",
    "docs/phone/profile.PNG",
  ])("leaves out %s", (path) => expect(isTemplateFile(path)).toBe(false));

  let copy: string | undefined;
  afterEach(() => copy && rmSync(copy, { recursive: true, force: true }));

  it.each(["node-redis", "workers-kv", "vercel-edge", "netlify-edge"])(
    "copies %s without its screenshots, and without the docs/ folder they leave empty",
    (template) => {
      const screenshots = readdirSync(join(templatesDir, template, "docs")).filter((file) => file.endsWith(".png"));
      expect(screenshots.length, "the repository keeps them").toBeGreaterThan(0);
      copy = mkdtempSync(join(tmpdir(), "create-app-copy-"));
      copyTemplateFolder(join(templatesDir, template), copy);
      expect(filesUnder(copy).filter((file) => file.endsWith(".png") && file.startsWith("docs/"))).toEqual([]);
      expect(existsSync(join(copy, "docs"))).toBe(false);
      expect(existsSync(join(copy, "package.json"))).toBe(true);
    },
  );

  it("keeps a docs/ folder that still holds something once the screenshots are left out", () => {
    const template = mkdtempSync(join(tmpdir(), "create-app-docs-"));
    copy = mkdtempSync(join(tmpdir(), "create-app-copy-"));
    try {
      mkdirSync(join(template, "docs", "phone"), { recursive: true });
      writeFileSync(join(template, "docs", "home.png"), "png");
      writeFileSync(join(template, "docs", "phone", "home.png"), "png");
      writeFileSync(join(template, "docs", "deploy.md"), "# Deploy\n");
      copyTemplateFolder(template, copy);
      expect(filesUnder(copy)).toEqual(["docs/deploy.md"]);
      expect(readdirSync(join(copy, "docs"))).toEqual(["deploy.md"]);
    } finally {
      rmSync(template, { recursive: true, force: true });
    }
  });
});

describe("what the scaffolder says it made", () => {
  it("offers each platform by its name alone, with no store in it", () => {
    const offered = listTemplates(templatesDir).map(({ name, label }) => [name, label]);
    expect(offered).toEqual([
      ["node-redis", "Node server"],
      ["workers-kv", "Cloudflare Workers"],
      ["vercel-edge", "Vercel Edge"],
      ["netlify-edge", "Netlify Edge"],
    ]);
    for (const { name, label, hint } of listTemplates(templatesDir)) {
      for (const store of readStores(join(templatesDir, name)) ?? []) {
        expect(`${label} ${hint}`.toLowerCase(), `${name} names its store ${store.name}`).not.toContain(store.label.toLowerCase());
      }
    }
  });

  it("has words for every store of every platform, lower-case where they are not a name", () => {
    for (const { name } of listTemplates(templatesDir)) {
      const words = platformNamed(name)?.storesInWords ?? {};
      for (const store of readStores(join(templatesDir, name)) ?? []) {
        expect(words[store.name], `${name}/${store.name}`).toBeDefined();
      }
    }
    expect(platformNamed("vercel-edge")?.storesInWords?.cookie).toBe("an encrypted cookie");
  });

  it.each([
    ["workers-kv", { name: "durable-objects", label: "Durable Objects" }, "Created chat-app: Cloudflare Workers, sessions in Durable Objects."],
    ["node-redis", { name: "postgres", label: "PostgreSQL" }, "Created chat-app: Node server, sessions in PostgreSQL."],
    ["vercel-edge", { name: "cookie", label: "Encrypted cookie" }, "Created chat-app: Vercel Edge, sessions in an encrypted cookie."],
    ["netlify-edge", { name: "cookie", label: "Encrypted cookie" }, "Created chat-app: Netlify Edge, sessions in an encrypted cookie."],
    ["./mine", { name: "mongo", label: "MongoDB" }, "Created chat-app from ./mine, sessions in MongoDB."],
    ["gh:someone/template", undefined, "Created chat-app from gh:someone/template."],
  ])("names the platform and the store of %s in plain words", (templateName, store, line) => {
    expect(createdLine({ folder: "chat-app", templateName, platform: platformNamed(templateName), store })).toBe(line);
  });
});

describe("a packed hattip-session instead of the registry's", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("copies the tarball into the app and depends on it by a relative file: path", () => {
    dir = mkdtempSync(join(tmpdir(), "create-app-tarball-"));
    const tarball = join(dir, "hattip-session-9.9.9.tgz");
    writeFileSync(tarball, "not really gzip");
    const app = join(dir, "app");
    copyTemplateFolder(join(templatesDir, "vercel-edge"), app);
    const named = sessionTarballFrom({ [SESSION_TARBALL_VARIABLE]: "hattip-session-9.9.9.tgz" }, dir);
    expect(named).toBe(tarball);
    const result = customizeApp(app, { packageName: "app", hattipSessionRange: "^9.9.9", sessionTarball: tarball, templateName: "vercel-edge" });
    expect(result.vendoredSession).toBe("file:vendor/hattip-session-9.9.9.tgz");
    expect(JSON.parse(readFileSync(join(app, "package.json"), "utf8")).dependencies["hattip-session"]).toBe("file:vendor/hattip-session-9.9.9.tgz");
    expect(readFileSync(join(app, "vendor", "hattip-session-9.9.9.tgz"), "utf8")).toBe("not really gzip");
  });

  it("refuses a tarball that is not there, or not hattip-session's, saying what it should name", () => {
    dir = mkdtempSync(join(tmpdir(), "create-app-tarball-"));
    writeFileSync(join(dir, "other-1.0.0.tgz"), "");
    expect(() => sessionTarballFrom({ [SESSION_TARBALL_VARIABLE]: "/nowhere/hattip-session-0.1.0.tgz" }, dir!)).toThrow(
      `${SESSION_TARBALL_VARIABLE}=/nowhere/hattip-session-0.1.0.tgz: there is no such file. It names the file that \`npm pack -w hattip-session\` writes`,
    );
    expect(() => sessionTarballFrom({ [SESSION_TARBALL_VARIABLE]: "other-1.0.0.tgz" }, dir!)).toThrow(
      "its name is not that of a packed hattip-session",
    );
    expect(sessionTarballFrom({}, dir)).toBeUndefined();
  });
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

describe("store variants", () => {
  const copies: string[] = [];
  afterEach(() => {
    for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function copyOf(template: string): string {
    const dir = mkdtempSync(join(tmpdir(), "create-app-stores-"));
    copies.push(dir);
    copyTemplateFolder(join(templatesDir, template), dir);
    return dir;
  }
  it("lists each platform's stores, its default first", () => {
    const names = (template: string) => readStores(join(templatesDir, template))?.map((store) => store.name);
    expect(names("node-redis")).toEqual(["redis", "postgres"]);
    expect(names("workers-kv")).toEqual(["kv", "durable-objects"]);
    expect(names("vercel-edge")).toEqual(["cookie"]);
    expect(names("netlify-edge")?.[0]).toBe("cookie");
  });

  it("the default store: the template as it is, without variants/", () => {
    const app = copyOf("node-redis");
    const before = filesUnder(app).filter((file) => !file.startsWith("variants/"));
    expect(applyStore(app, undefined, "node-redis")?.name).toBe("redis");
    expect(filesUnder(app)).toEqual(before);
  });

  it("postgres on node-redis: the Postgres files in, every Redis file and dependency out", () => {
    const app = copyOf("node-redis");
    applyStore(app, "postgres", "node-redis");
    const files = filesUnder(app);
    expect(files).toContain("src/login-attempts-postgres.ts");
    expect(files.filter((file) => /redis|^variants\//.test(file))).toEqual([]);
    const sources = files.filter((file) => file.startsWith("src/")).map((file) => readFileSync(join(app, file), "utf8"));
    expect(sources.filter((text) => /from "redis"|REDIS_URL/.test(text))).toEqual([]);
    expect(readFileSync(join(app, "src/login-store.ts"), "utf8")).toContain("PostgresSessionStore");
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
    expect(manifest.dependencies.pg).toBe("8.23.1");
    expect(manifest.dependencies.redis).toBeUndefined();
    expect(manifest.devDependencies["@types/pg"]).toBeDefined();
    expect(Object.keys(manifest.dependencies)).toEqual(Object.keys(manifest.dependencies).sort());
  });

  it("gives every variant its own README, naming its store at the top and not the default's", () => {
    const headings: Record<string, [string, string]> = {
      "node-redis/postgres": ["# hattip-session starter: Node + PostgreSQL", "REDIS_URL"],
      "workers-kv/durable-objects": ["# hattip-session starter: Cloudflare Workers + Durable Objects", "kv namespace create"],
      "netlify-edge/blobs": ["# hattip-session starter: Netlify Edge Functions (Deno) + Netlify Blobs", "SESSION_KEYS"],
    };
    for (const [choice, [heading, defaultOnly]] of Object.entries(headings)) {
      const [template, store] = choice.split("/") as [string, string];
      const app = copyOf(template);
      applyStore(app, store, template);
      const readme = readFileSync(join(app, "README.md"), "utf8");
      expect(readme.split("\n")[0], choice).toBe(heading);
      expect(readme, choice).not.toContain(defaultOnly);
    }
  });

  it("durable-objects on workers-kv: the class exported and bound with its migration, no KV namespace, its own binding types", () => {
    const app = copyOf("workers-kv");
    applyStore(app, "durable-objects", "workers-kv");
    const config = parse(readFileSync(join(app, "wrangler.jsonc"), "utf8"));
    expect(config.kv_namespaces).toBeUndefined();
    expect(config.durable_objects.bindings).toContainEqual({ name: "SESSIONS", class_name: "SessionDurableObject" });
    expect(config.migrations[0].new_sqlite_classes).toContain("SessionDurableObject");
    expect(readFileSync(join(app, "src/worker.ts"), "utf8")).toContain('export { SessionDurableObject } from "hattip-session"');
    const types = readFileSync(join(app, "worker-configuration.d.ts"), "utf8");
    expect(types).toContain('SESSIONS: DurableObjectNamespace<import("./src/worker").SessionDurableObject>;');
    expect(types).not.toContain("KVNamespace;\n\t\tLOGIN");
    expect(existsSync(join(app, "variants"))).toBe(false);
  });

  it("refuses a store the template does not offer, listing the ones it does", () => {
    expect(() => applyStore(copyOf("node-redis"), "mongodb", "node-redis")).toThrow(
      'The template node-redis has no store "mongodb". Valid stores: redis, postgres.',
    );
    expect(() => findStore("kv", readStores(join(templatesDir, "vercel-edge")), "vercel-edge")).toThrow(
      "Valid stores: cookie (its only store, the default).",
    );
    expect(() => findStore("kv", undefined, "./mine")).toThrow("offers no choice of session store: leave out --store");
  });

  it("reads --store and -s", () => {
    expect(parseCliArgs(["app", "--store", "postgres"]).store).toBe("postgres");
    expect(parseCliArgs(["app", "-s", "kv"]).store).toBe("kv");
    expect(parseCliArgs(["app"]).store).toBeUndefined();
  });
});
