import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const createAppDir = join(repoRoot, "create-app");
export const cliPath = join(createAppDir, "dist", "index.js");
export const fixtureTemplates = join(createAppDir, "test", "fixtures", "templates");

/** The CLI under test is the built one, as users run it; building takes a few seconds. */
export function buildCreateApp(): void {
  execFileSync("npm", ["run", "build", "--silent"], { cwd: createAppDir, stdio: "inherit" });
}

/** A temp folder outside the repository, so no git repo or workspace is found above it. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A writable copy of the fixture templates, so a test can add junk the scaffolder must skip. */
export function copyFixtureTemplates(into: string): string {
  const root = join(into, "templates");
  cpSync(fixtureTemplates, root, { recursive: true });
  return root;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without a terminal (stdin is /dev/null), as CI would. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    delete env.CI;
    if (options.env && "CI" in options.env) env.CI = options.env.CI;
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The fields of a package.json that the scaffolding tests read. */
export interface PackageManifest {
  name: string;
  version: string;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
}

export function readJson(path: string): PackageManifest {
  return JSON.parse(readFileSync(path, "utf8")) as PackageManifest;
}

export function sessionVersion(): string {
  return readJson(join(repoRoot, "packages", "session", "package.json")).version;
}
