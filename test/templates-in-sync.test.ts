/**
 * Every template carries its own copy of the shared app, so that a user can
 * copy one folder and own all of it. Maintainers edit it in one place,
 * starter/, and copy it with `npx tsx starter/sync.ts`. A copy edited by
 * hand fails here, with the command that puts it back in step.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { plannedCopies, TEMPLATES, withTsImports } from "../starter/sync.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const copies = plannedCopies();

describe("the shared app is the same in every template", () => {
  it("has shared modules to compare, in every template", () => {
    for (const template of TEMPLATES) {
      expect(copies.map((copy) => copy.target)).toContain(`templates/${template}/src/app.ts`);
    }
  });

  it("rewrites only relative .js imports for Deno's copy", () => {
    const source = `import { a } from "./a.js";\nimport "../b.js";\nimport { c } from "valibot";\nconst d = await import("./d.js");\n"./e.js";`;
    expect(withTsImports(source)).toBe(
      `import { a } from "./a.ts";\nimport "../b.ts";\nimport { c } from "valibot";\nconst d = await import("./d.ts");\n"./e.js";`,
    );
  });

  it.each(copies.map((copy) => [copy.target, copy] as const))("%s is in step with starter/", (_target, copy) => {
    let actual: string;
    try {
      actual = readFileSync(`${repoRoot}${copy.target}`, "utf8");
    } catch {
      throw new Error(`${copy.target} is missing. Run: npx tsx starter/sync.ts`);
    }
    expect(actual, `${copy.target} differs from ${copy.source}: edit ${copy.source}, then run npx tsx starter/sync.ts`).toBe(copy.content);
  });
});
