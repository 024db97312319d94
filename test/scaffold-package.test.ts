import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installScaffolder, packWorkspace } from "../scripts/local-packages.js";
import { createAppDir, makeTempDir, readJson, removeDir, repoRoot, sessionVersion } from "./support/scaffold-cli.js";
import { runCommand, userEnvironment } from "./support/scaffold-user-path.js";

/**
 * The published create-hattip-session-app: `npm pack` (whose prepack builds and
 * bundles the templates), installed into a folder outside the repository, run
 * from node_modules/.bin with nothing of the monorepo around it.
 */
let workDir: string;
let tarball: string;
let packedFiles: string[];

beforeAll(() => {
  workDir = makeTempDir("scaffold-package");
  ({ tarball, files: packedFiles } = packWorkspace("create-hattip-session-app", workDir));
});

afterAll(() => removeDir(workDir));

const bundledTemplates = ["node-redis", "workers-kv", "vercel-edge", "netlify-edge"].filter((name) =>
  existsSync(join(repoRoot, "templates", name, "package.json")),
);

describe("the packed create-hattip-session-app", () => {
  it("ships built JS and every template, without monorepo leftovers", () => {
    expect(packedFiles).toContain("dist/index.js");
    expect(packedFiles).toContain("templates/bundle-info.json");
    for (const name of bundledTemplates) {
      expect(packedFiles).toContain(`templates/${name}/package.json`);
      expect(packedFiles).toContain(`templates/${name}/_gitignore`);
    }
    expect(packedFiles.filter((path) => /(^|\/)(node_modules|\.wrangler|\.env|\.dev\.vars)(\/|$)/.test(path))).toEqual([]);
    expect(packedFiles.filter((path) => path.startsWith("src/") || path.startsWith("test/"))).toEqual([]);
    // Each template's store variants travel with it; the scaffolder strips them from every app.
    for (const name of bundledTemplates) expect(packedFiles).toContain(`templates/${name}/variants/stores.json`);
    // The templates' screenshots stay in the repository: none is published.
    expect(packedFiles.filter((path) => /^templates\/[^/]+\/docs\/.*\.png$/.test(path))).toEqual([]);
    // postpack removes the bundled copy, so development keeps reading ../templates.
    expect(existsSync(join(createAppDir, "templates"))).toBe(false);
  });

  it("installs and scaffolds from its bundled templates, offline", async () => {
    const env = userEnvironment();
    const bin = installScaffolder(tarball, join(workDir, "installed"), env);
    const template = bundledTemplates.includes("vercel-edge") ? "vercel-edge" : bundledTemplates[0]!;
    const run = await runCommand(bin, ["packed-app", "--template", template, "--no-install", "--no-git"], {
      cwd: workDir,
      env: { ...env, XDG_CACHE_HOME: join(workDir, "cache") },
      timeoutMs: 60_000,
    });
    expect(run.code, run.output).toBe(0);
    const app = join(workDir, "packed-app");
    expect(readJson(join(app, "package.json")).dependencies["hattip-session"]).toBe(`^${sessionVersion()}`);
    expect(existsSync(join(app, ".gitignore"))).toBe(true);
    if (template === "vercel-edge") {
      expect(readFileSync(join(app, ".env"), "utf8")).toMatch(/^SESSION_KEYS=[A-Za-z0-9_-]{43}$/m);
    }
    expect(existsSync(join(app, "variants"))).toBe(false);
    expect(existsSync(join(app, "docs")), "the screenshots stay in the repository").toBe(false);

    // A store the platform does not offer: refused before anything is written, naming the valid ones.
    const refused = await runCommand(bin, ["refused-app", "--template", "workers-kv", "--store", "postgres", "--no-install", "--no-git"], {
      cwd: workDir,
      env: { ...env, XDG_CACHE_HOME: join(workDir, "cache") },
      timeoutMs: 60_000,
    });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('The template workers-kv has no store "postgres". Valid stores: kv, durable-objects.');
    expect(existsSync(join(workDir, "refused-app"))).toBe(false);
  });
});
