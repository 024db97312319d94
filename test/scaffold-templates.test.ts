import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseJsonc } from "jsonc-parser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStores } from "../create-app/src/stores.js";
import { readmeProblems } from "./support/app-readme.js";
import { launchChromium } from "./support/browser-chromium.js";
import { makeTempDir, readJson, removeDir, repoRoot, sessionVersion } from "./support/scaffold-cli.js";
import { startDevServer } from "./support/scaffold-dev-server.js";
import { runCommand, userEnvironment } from "./support/scaffold-user-path.js";

/**
 * The whole user path for every template in templates/ on every store it
 * offers, made the way create-app/README.md tells a clone to make one:
 * `npm run create -- <folder> --template <name> --store <store>`, which packs
 * hattip-session and create-hattip-session-app, scaffolds with the packed
 * scaffolder outside the repository and installs against the packed
 * hattip-session. Then `npm ci` from the lockfile that install wrote, the dev
 * server with a sign-in through it in Chromium, the app's lint and its tests
 * (which, for a Node app, run its Dockerfile's steps, and for a Netlify app,
 * Netlify's build offline). Its README must be about that app only.
 */
const templatesDir = join(repoRoot, "templates");
const folders = existsSync(templatesDir) ? readdirSync(templatesDir).sort() : [];
const templates = folders.filter((name) => existsSync(join(templatesDir, name, "package.json")));
const notTemplates = folders.filter((name) => !templates.includes(name));
/** Every platform x store: `store` undefined for a template that offers no choice. */
const combinations = templates.flatMap((name) =>
  (readStores(join(templatesDir, name))?.map((store) => store.name) ?? [undefined]).map((store) => ({ name, store })),
);

/** What the profile page names as the store, per platform and store: proof that the variant is what runs. */
const storeShown: Record<string, string> = {
  "node-redis/redis": "Redis.",
  "node-redis/postgres": "PostgreSQL.",
  "workers-kv/kv": "Workers KV.",
  "workers-kv/durable-objects": "Durable Objects.",
  "vercel-edge/cookie": "an encrypted cookie",
  "netlify-edge/cookie": "an encrypted cookie",
  "netlify-edge/blobs": "Netlify Blobs.",
};

/**
 * Where each app's local dev reads its secrets, which the scaffolder must fill, and how many: a
 * cookie store's SESSION_KEYS; a server-side store's SESSION_TAG_SECRET (the key of the user tag),
 * and SESSION_CACHE_KEYS where the app turns the session cache on.
 */
const secretFiles: Record<string, { file: string; count: number }> = {
  "node-redis/redis": { file: ".env", count: 1 },
  "node-redis/postgres": { file: ".env", count: 2 },
  "workers-kv/kv": { file: ".dev.vars", count: 1 },
  "workers-kv/durable-objects": { file: ".dev.vars", count: 2 },
  "vercel-edge/cookie": { file: ".env", count: 1 },
  "netlify-edge/cookie": { file: ".env", count: 1 },
  "netlify-edge/blobs": { file: ".env", count: 1 },
};

/** The worker name in whichever wrangler config the app has (C3 now writes wrangler.jsonc). */
function workerName(app: string): string | undefined {
  for (const file of ["wrangler.jsonc", "wrangler.json"]) {
    if (existsSync(join(app, file))) return parseJsonc(readFileSync(join(app, file), "utf8")).name;
  }
  if (!existsSync(join(app, "wrangler.toml"))) return undefined;
  return /^name\s*=\s*"([^"]*)"/m.exec(readFileSync(join(app, "wrangler.toml"), "utf8"))?.[1];
}

/** Loads the app's generated keys with the installed hattip-session, as the app will at run time. */
const keyCheck = `
import { readFileSync } from "node:fs";
import { EncryptedCookieStore, SignedCookieStore } from "hattip-session";
const text = readFileSync(process.argv[1], "utf8");
const keys = [...text.matchAll(/^[A-Z_]*(?:KEY|KEYS|SECRET|SECRETS)=(.+)$/gm)].map((match) => match[1]);
if (keys.length === 0) throw new Error("no key in " + process.argv[1]);
for (const key of keys) {
  await EncryptedCookieStore.generateKeysFromBase64([key]);
  await SignedCookieStore.generateKeysFromBase64([key]);
}
console.log("keys ok: " + keys.length);
`;

let workDir: string;
let browser: Browser;

beforeAll(async () => {
  workDir = makeTempDir("scaffold-templates");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  removeDir(workDir);
});

describe("scaffolding every template, as a user would", () => {
  it("finds every platform's template, and nothing in templates/ that is not one", () => {
    expect(notTemplates).toEqual([]);
    expect([...templates].sort()).toEqual(["netlify-edge", "node-redis", "vercel-edge", "workers-kv"]);
  });

  it("covers a store for every platform, and more than one where the platform has a choice", () => {
    expect(combinations.map(({ name, store }) => `${name}/${store}`)).toEqual(
      expect.arrayContaining(["node-redis/redis", "node-redis/postgres", "workers-kv/kv", "workers-kv/durable-objects", "vercel-edge/cookie"]),
    );
    for (const { name, store } of combinations) expect(storeShown[`${name}/${store}`], `${name}/${store}`).toBeDefined();
  });

  for (const { name, store } of combinations) {
    it(`${name}${store ? ` on ${store}` : ""}: made by npm run create on this checkout's packages, signs in through its dev server in Chromium, and passes its own tests`, async () => {
      const appName = `my-${name}-${store ?? "default"}-app`;
      const app = join(workDir, appName);
      const started = Date.now();
      const env = userEnvironment();
      // create-app/README.md's command for an app on this checkout's packages, answering in flags what a terminal would ask.
      const created = await runCommand(
        "npm",
        ["run", "create", "--", app, "--template", name, ...(store ? ["--store", store] : []), "--install", "--no-git"],
        { cwd: repoRoot, env: { ...env, XDG_CACHE_HOME: join(workDir, "cache") }, timeoutMs: 600_000 },
      );
      expect(created.code, created.output).toBe(0);
      const stdout = created.output;

      const manifest = readJson(join(app, "package.json"));
      expect(manifest.name).toBe(appName);
      // This checkout's hattip-session, packed and kept in the app, not the registry's.
      expect(manifest.dependencies["hattip-session"]).toBe(`file:vendor/hattip-session-${sessionVersion()}.tgz`);
      expect(existsSync(join(app, "package-lock.json"))).toBe(true);
      expect(existsSync(join(app, ".gitignore"))).toBe(true);
      for (const leftOut of ["_gitignore", "dist", ".wrangler", "variants", "docs"]) {
        expect(existsSync(join(app, leftOut)), leftOut).toBe(false);
      }
      if (name === "netlify-edge") {
        // The install the command ran is a plain `npm install`, so the app's postinstall put Deno in place.
        expect(existsSync(join(app, "node_modules", ".deno", "node_modules", "deno", "package.json")), "Deno").toBe(true);
      }
      expect(readmeProblems(app, `${name}/${store}`)).toEqual([]);
      if (name === "workers-kv") {
        // Every scaffolded Workers app deploys as its own worker, named after the project.
        expect(workerName(app)).toBe(appName);
        expect(stdout).toContain(`Named the worker "${appName}"`);
      } else {
        expect(workerName(app)).toBeUndefined();
      }

      // The lockfile the first install wrote must be one that npm ci accepts (CI, a teammate's clone).
      // Not --prefer-offline: with a lockfile that omits `resolved`, a cached package document older than a new release refuses the locked version.
      const clean = await runCommand("npm", ["ci", "--no-audit", "--no-fund"], {
        cwd: app,
        env,
        timeoutMs: 600_000,
      });
      expect(clean.code, clean.output).toBe(0);

      const secrets = secretFiles[`${name}/${store}`];
      if (!secrets) expect(stdout).not.toContain("Generated a fresh secret key");
      if (secrets) {
        expect(readFileSync(join(app, ".gitignore"), "utf8").split("\n")).toContain(secrets.file);
        const check = await runCommand(process.execPath, ["--input-type=module", "--eval", keyCheck, join(app, secrets.file)], {
          cwd: app,
          env,
          timeoutMs: 60_000,
        });
        expect(check.output).toContain(`keys ok: ${secrets.count}`);
      }

      const devServer = await startDevServer(app, name, store, env);
      try {
        const context = await browser.newContext();
        const page = await context.newPage();
        page.setDefaultTimeout(30_000);
        await page.goto(`${devServer.url}/login`);
        await page.fill('input[name="username"]', "demo");
        await page.fill('input[name="password"]', "demo-password");
        await Promise.all([page.waitForURL(`${devServer.url}/profile`), page.getByRole("button", { name: "Sign in" }).click()]);
        expect(await page.locator('[data-testid="username"]').textContent()).toBe("demo");
        expect(await page.locator('[data-testid="store"]').textContent()).toContain(storeShown[`${name}/${store}`]);
        await Promise.all([page.waitForURL(`${devServer.url}/`), page.getByRole("button", { name: "Sign out", exact: true }).click()]);
        await page.goto(`${devServer.url}/profile`);
        expect(new URL(page.url()).pathname).toBe("/login");
        await context.close();
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- npm run dev said:\n${devServer.output()}`);
      } finally {
        await devServer.stop();
      }

      // The app's own Biome config (the repository's rules) passes on the files it was given.
      const lint = await runCommand("npm", ["run", "lint"], { cwd: app, env, timeoutMs: 120_000 });
      expect(lint.code, lint.output).toBe(0);

      const tests = await runCommand("npm", ["test"], { cwd: app, env, timeoutMs: 600_000 });
      expect(tests.code, tests.output).toBe(0);
      console.log(`${name}${store ? ` on ${store}` : ""}: ${Math.round((Date.now() - started) / 1000)} s from scaffold to passing tests`);
    }, 1_200_000);
  }
});
