/**
 * Every template carries its own copy of the runtime-agnostic app, so that a
 * user can copy one folder and own all of it. The copies must not drift:
 * a fix made in one template has to reach the others. Netlify's copy differs
 * only in import suffixes (Deno loads `.ts` as written).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const templatesDir = new URL("../templates/", import.meta.url).pathname;
const reference = "node-redis";
const others = ["vercel-edge", "workers-kv", "netlify-edge"];
/** Entry and store wiring differ per platform on purpose; everything else in src/ is the shared app. */
const platformSpecific = new Set(["server.ts", "login-store.ts", "redis-client.ts", "edge-handler.ts", "worker.ts"]);

const sharedModules = readdirSync(join(templatesDir, reference, "src")).filter(
  (name) => name.endsWith(".ts") && !platformSpecific.has(name),
);
const normalise = (source: string) => source.replace(/(from\s+"\.[^"]*)\.ts"/g, '$1.js"').replace(/(import\s+"\.[^"]*)\.ts"/g, '$1.js"');

describe("the shared app is the same in every template", () => {
  it("has shared modules to compare", () => {
    expect(sharedModules).toContain("app.ts");
  });

  for (const template of others) {
    it.each(sharedModules)(`${template}/src/%s matches node-redis`, (module) => {
      const mine = normalise(readFileSync(join(templatesDir, template, "src", module), "utf8"));
      const theirs = normalise(readFileSync(join(templatesDir, reference, "src", module), "utf8"));
      expect(mine).toBe(theirs);
    });
  }
});
