import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseJsonc } from "jsonc-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCreateApp, makeTempDir, readJson, removeDir, repoRoot, runCli, sessionVersion } from "./support/scaffold-cli.js";
import { packSession, runCommand, userEnvironment } from "./support/scaffold-user-path.js";

/**
 * The whole user path for every template in templates/: scaffold it outside
 * the repository, install it against the packed hattip-session, run its own tests.
 */
const templatesDir = join(repoRoot, "templates");
const folders = existsSync(templatesDir) ? readdirSync(templatesDir).sort() : [];
const templates = folders.filter((name) => existsSync(join(templatesDir, name, "package.json")));
const notTemplates = folders.filter((name) => !templates.includes(name));

/** Where each cookie-key platform's local dev reads its key; the scaffolder must fill it. */
const secretFiles: Record<string, string> = { "vercel-edge": ".env", "netlify-edge": ".env" };

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
let sessionTarball: string;

beforeAll(() => {
  buildCreateApp();
  workDir = makeTempDir("scaffold-templates");
  sessionTarball = packSession(workDir);
});

afterAll(() => removeDir(workDir));

describe("scaffolding every template, as a user would", () => {
  it("finds every platform's template, and nothing in templates/ that is not one", () => {
    expect(notTemplates).toEqual([]);
    expect([...templates].sort()).toEqual(["netlify-edge", "node-redis", "vercel-edge", "workers-kv"]);
  });

  for (const name of templates) {
    it(`${name}: scaffolds, installs from the packed hattip-session, and passes its own tests`, async () => {
      const appName = `my-${name}-app`;
      const scaffolded = await runCli([appName, "--template", name, "--no-install", "--no-git"], {
        cwd: workDir,
        env: { CREATE_HATTIP_SESSION_APP_TEMPLATES: templatesDir },
      });
      expect(scaffolded.stderr).toBe("");
      expect(scaffolded.code).toBe(0);

      const app = join(workDir, appName);
      const manifest = readJson(join(app, "package.json"));
      expect(manifest.name).toBe(appName);
      expect(manifest.dependencies["hattip-session"]).toBe(`^${sessionVersion()}`);
      expect(existsSync(join(app, ".gitignore"))).toBe(true);
      for (const leftOut of ["_gitignore", "node_modules", "dist", ".wrangler", "package-lock.json"]) {
        expect(existsSync(join(app, leftOut)), leftOut).toBe(false);
      }
      if (name === "workers-kv") {
        // Every scaffolded Workers app deploys as its own worker, named after the project.
        expect(workerName(app)).toBe(appName);
        expect(scaffolded.stdout).toContain(`Named the worker "${appName}"`);
      } else {
        expect(workerName(app)).toBeUndefined();
      }

      // The published range is not on the registry from here: install the packed tarball instead.
      manifest.dependencies["hattip-session"] = `file:${sessionTarball}`;
      writeFileSync(join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      const env = userEnvironment();
      const install = await runCommand("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
        cwd: app,
        env,
        timeoutMs: 600_000,
      });
      expect(install.code, install.output).toBe(0);
      expect(existsSync(join(app, "package-lock.json"))).toBe(true);

      // The lockfile the first install wrote must be one that npm ci accepts (CI, a teammate's clone).
      const clean = await runCommand("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], {
        cwd: app,
        env,
        timeoutMs: 600_000,
      });
      expect(clean.code, clean.output).toBe(0);

      const secretFile = secretFiles[name];
      if (secretFile) {
        expect(readFileSync(join(app, ".gitignore"), "utf8").split("\n")).toContain(secretFile);
        const check = await runCommand(
          process.execPath,
          ["--input-type=module", "--eval", keyCheck, join(app, secretFile)],
          { cwd: app, env, timeoutMs: 60_000 },
        );
        expect(check.output).toContain("keys ok: 1");
      }

      // The app's own Biome config (the repository's rules) passes on the files it was given.
      const lint = await runCommand("npm", ["run", "lint"], { cwd: app, env, timeoutMs: 120_000 });
      expect(lint.code, lint.output).toBe(0);

      const tests = await runCommand("npm", ["test"], { cwd: app, env, timeoutMs: 600_000 });
      expect(tests.code, tests.output).toBe(0);
    }, 1_200_000);
  }
});
