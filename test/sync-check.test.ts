/**
 * `npx tsx starter/sync.ts --check`, run on a copy of starter/ and
 * templates/: it passes on the repository as committed, and fails, naming
 * the file, on a generated file edited by hand (a variant's README) and on
 * an orphan (a file left in a template's managed folder, or in a variant,
 * after its source went).
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./support/scaffold-cli.js";

let copy: string;

/** What a checkout has but a template's generated files do not depend on: installed packages, local state and secrets. */
const LEFT_OUT = new Set(["node_modules", ".wrangler", ".netlify", "dist", ".env", ".dev.vars"]);

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "sync-check-"));
  for (const folder of ["starter", "templates"]) {
    cpSync(join(repoRoot, folder), join(copy, folder), {
      recursive: true,
      filter: (source) =>
        !relative(repoRoot, source)
          .split(sep)
          .some((segment) => LEFT_OUT.has(segment)),
    });
  }
  symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"), "junction");
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

function check(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const tsx = join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
    const child = spawn(process.execPath, [tsx, join(copy, "starter", "sync.ts"), "--check"], { cwd: copy, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("starter/sync.ts --check", () => {
  it("passes on the templates as committed", async () => {
    const { code, output } = await check();
    expect(output).toContain("Every template holds the current shared app and generated files, and nothing else.");
    expect(code).toBe(0);
  }, 120_000);

  it("fails on a generated file edited by hand, and on files left over in a template and in a variant", async () => {
    const readme = join(copy, "templates", "node-redis", "variants", "postgres", "README.md");
    writeFileSync(readme, "# Edited by hand\n");
    writeFileSync(join(copy, "templates", "vercel-edge", "src", "left-over.ts"), "export const gone = true;\n");
    writeFileSync(join(copy, "templates", "workers-kv", "variants", "durable-objects", "src", "old-worker.ts"), "export {};\n");
    const { code, output } = await check();
    expect(code).toBe(1);
    expect(output).toContain("templates/node-redis/variants/postgres/README.md differs from what starter/generate");
    expect(output).toContain("templates/vercel-edge/src/left-over.ts is left over");
    expect(output).toContain("templates/workers-kv/variants/durable-objects/src/old-worker.ts is left over");
    expect(output).toContain("2 orphaned file(s)");
  }, 120_000);
});
