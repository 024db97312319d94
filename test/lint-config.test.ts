/**
 * A scaffolded app takes its template's biome.json, which cannot extend the
 * repository's (the app has no repository around it): these tests keep the
 * copies saying what the root one says, and the Biome they install the one
 * the repository runs.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TEMPLATES } from "../starter/sync.js";

const repoFile = (path: string) => new URL(`../${path}`, import.meta.url);
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(repoFile(path), "utf8"));

const root = readJson("biome.json");
const rootBiomeVersion = (readJson("package.json").devDependencies as Record<string, string>)["@biomejs/biome"];

describe.each(TEMPLATES)("templates/%s", (template) => {
  const config = readJson(`templates/${template}/biome.json`);

  it("formats and lints with the repository's settings", () => {
    expect(config.formatter).toEqual(root.formatter);
    expect(config.javascript).toEqual(root.javascript);
    expect(config.linter).toEqual(root.linter);
  });

  it("installs the Biome the repository runs and lints with npm run lint", () => {
    const manifest = readJson(`templates/${template}/package.json`) as {
      devDependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(manifest.devDependencies["@biomejs/biome"]).toBe(rootBiomeVersion);
    expect(manifest.scripts.lint).toBe("biome check --error-on-warnings .");
  });
});
