/**
 * The layers, checked on the real import graph (esbuild's metafile): the
 * middleware and everything it imports know nothing of the stores, and the
 * library imports no `node:` module.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../src/", import.meta.url));

async function graphOf(entry: string) {
  const result = await build({
    entryPoints: [`${src}${entry}`],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    external: ["@hattip/*"],
    logLevel: "silent",
  });
  const { inputs } = result.metafile;
  return {
    files: Object.keys(inputs),
    imports: Object.values(inputs).flatMap((input) => input.imports.map((imported) => imported.path)),
  };
}

describe("the import graph", () => {
  it("has no import from the middleware into stores/", async () => {
    const { files } = await graphOf("middleware.ts");
    expect(files.filter((path) => path.includes("/stores/"))).toEqual([]);
    expect(files.some((path) => path.endsWith("decision.ts"))).toBe(true);
  });

  it("imports no node: module anywhere in the package", async () => {
    const { files, imports } = await graphOf("index.ts");
    expect(files.length).toBeGreaterThan(20);
    expect(imports.filter((path) => path.startsWith("node:"))).toEqual([]);
  });
});
