/**
 * A `.dev.vars` made as README.md and `.dev.vars.example` say, holding every
 * setting they document, must not break the app's checks: wrangler adds a
 * local `.dev.vars` to the types it generates, which made `wrangler types
 * --check` fail for anyone who followed the README. Run on a copy of the
 * app (inside `.wrangler/`, so that its packages resolve as the app's do),
 * never on the developer's own `.dev.vars`.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const LEFT_OUT = new Set(["node_modules", ".wrangler", ".dev.vars", "dist"]);

let copy: string;
let documented: string[];

/** The variables `npm` sets for the test run itself (a workspace, say) are not the copy's. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_COLOR: "1",
  };
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: cleanEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/** A copy of the app without its local state, inside it, so that its packages still resolve. */
function copyOfApp(prefix: string): string {
  mkdirSync(join(APP_DIR, ".wrangler", "tmp"), { recursive: true });
  const target = mkdtempSync(join(APP_DIR, ".wrangler", "tmp", prefix));
  for (const entry of readdirSync(APP_DIR)) {
    if (!LEFT_OUT.has(entry)) cpSync(join(APP_DIR, entry), join(target, entry), { recursive: true });
  }
  return target;
}

beforeAll(() => {
  copy = copyOfApp("local-secrets-");
  const example = readFileSync(join(APP_DIR, ".dev.vars.example"), "utf8");
  const lines = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => `${name}=${value}`);
  documented = lines.map((line) => line.slice(0, line.indexOf("=")));
  writeFileSync(join(copy, ".dev.vars"), `${lines.join("\n")}\n`);
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("a .dev.vars with every documented setting", () => {
  it("holds every setting of .dev.vars.example", () => {
    expect(documented).toEqual(expect.arrayContaining(["USERS", "ALLOW_DEMO_USER", "SUDO_WINDOW_SECONDS"]));
  });

  it("leaves npm run typecheck passing: the committed types still match wrangler.jsonc", async () => {
    const { code, output } = await run("npm", ["run", "typecheck"], copy);
    expect(output).toContain("Types at worker-configuration.d.ts are up to date");
    expect(code, output).toBe(0);
  }, 120_000);

  it("leaves wrangler deploy --dry-run bundling the worker with its bindings", async () => {
    const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
    const { code, output } = await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", join(copy, "dist")], copy);
    expect(code, output).toBe(0);
    expect(output).toContain("env.SESSIONS");
    expect(output).toContain("env.LOGIN_ATTEMPTS (LoginAttempts)");
  }, 120_000);
});

describe("npm run dev's secrets", () => {
  let app: string;
  /** What .dev.vars.example leaves empty: the secrets dev makes (SESSION_TAG_SECRET, and more on some stores). */
  let secrets: string[];
  // `--help` makes wrangler print its usage and exit: what comes before it, the secrets, is what is tested here.
  const runDev = () => run(process.execPath, [createRequire(import.meta.url).resolve("tsx/cli"), "scripts/dev.ts", "--help"], app);
  const devVars = () => readFileSync(join(app, ".dev.vars"), "utf8");
  const valuesOf = (name: string) => [...devVars().matchAll(new RegExp(`^${name}=(.*)$`, "gm"))].map(([, value]) => value);

  beforeAll(() => {
    app = copyOfApp("dev-secrets-");
    secrets = [...readFileSync(join(app, ".dev.vars.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=$/gm)].map(([, name]) => name ?? "");
  });

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it("makes each secret .dev.vars lacks, in place of its empty line, in a file only its owner reads", async () => {
    expect(secrets).toContain("SESSION_TAG_SECRET");
    writeFileSync(join(app, ".dev.vars"), `# mine\nUSERS=alice:hash\n${secrets.map((name) => `${name}=`).join("\n")}\n`, { mode: 0o644 });
    const { code, output } = await runDev();
    expect(code, output).toBe(0);
    for (const name of secrets) {
      expect(output).toContain(`${name} was not set: a new secret for local development is now in .dev.vars (ignored by git).`);
      expect(valuesOf(name)).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    }
    expect(devVars()).toMatch(/^# mine\nUSERS=alice:hash\n/);
    expect(statSync(join(app, ".dev.vars")).mode & 0o777).toBe(0o600);
  }, 120_000);

  it("keeps them across restarts, and makes none when they are set", async () => {
    const before = devVars();
    const { code, output } = await runDev();
    expect(code, output).toBe(0);
    expect(output).not.toContain("was not set");
    expect(devVars()).toBe(before);
  }, 120_000);

  it("makes .dev.vars when there is none", async () => {
    rmSync(join(app, ".dev.vars"));
    const { code, output } = await runDev();
    expect(code, output).toBe(0);
    expect(existsSync(join(app, ".dev.vars"))).toBe(true);
    for (const name of secrets) expect(valuesOf(name)).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(statSync(join(app, ".dev.vars")).mode & 0o777).toBe(0o600);
  }, 120_000);
});
