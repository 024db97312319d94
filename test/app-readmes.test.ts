/**
 * Every platform x store app, laid out as create-hattip-session-app lays it
 * out (the template copied by its filter, the store applied by its own
 * code), gets a README about that app only: see support/app-readme.ts for
 * the rules. Also checks that the example settings file names no other
 * store's setting, and that nothing of variants/ or of another store's
 * files is left in the app.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyTemplateFolder } from "../create-app/src/scaffold.js";
import { applyStore } from "../create-app/src/stores.js";
import { APPS, appId, settingsOf } from "../starter/generate/catalog.js";
import { readmeProblems } from "./support/app-readme.js";
import { repoRoot } from "./support/scaffold-cli.js";

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function layOut(template: string, store: string): string {
  const dir = mkdtempSync(join(tmpdir(), `app-readme-${template}-${store}-`));
  dirs.push(dir);
  copyTemplateFolder(join(repoRoot, "templates", template), dir);
  applyStore(dir, store, template);
  return dir;
}

describe("each app's README is its own", () => {
  it("covers all seven apps", () => {
    expect(APPS.map(appId)).toEqual([
      "node-redis/redis",
      "node-redis/postgres",
      "workers-kv/kv",
      "workers-kv/durable-objects",
      "vercel-edge/cookie",
      "netlify-edge/cookie",
      "netlify-edge/blobs",
    ]);
  });

  it.each(APPS.map((app) => [appId(app), app] as const))(
    "%s: names only its own store's settings, steps and files, and links nowhere outside",
    (id, app) => {
      const dir = layOut(app.platform.template, app.store.name);
      expect(readmeProblems(dir, id)).toEqual([]);
      const example = readFileSync(join(dir, app.platform.exampleFile), "utf8");
      const own = new Set(settingsOf(app).map((setting) => setting.name));
      const named = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name!);
      expect(named.filter((name) => !own.has(name))).toEqual([]);
      expect([...own].filter((name) => !named.includes(name))).toEqual([]);
    },
  );

  it("finds what it looks for: a README with another store's setting, a step of another store, a link out of the app", () => {
    const dir = layOut("node-redis", "postgres");
    const readme = join(dir, "README.md");
    const text = readFileSync(readme, "utf8");
    const planted = text
      .replace(
        "## Deploy it\n",
        "## Deploy it\n\nSet `REDIS_URL` and read [RELIABILITY.md](../../packages/session/RELIABILITY.md), see `src/redis-client.ts`.\n",
      )
      .replace("## Run it", "## Run it\n\n[Keys](#keys)");
    // What a patched README used to say, planted by hand: the check must see each of it.
    writeFileSync(readme, planted);
    expect(readmeProblems(dir, "node-redis/postgres")).toEqual(
      expect.arrayContaining([
        "names REDIS_URL, a setting of another store",
        "its deploy section says /REDIS_URL/, which is another store's",
        "links to ../../packages/session/RELIABILITY.md, outside the app",
        "names `src/redis-client.ts`, which the app does not have",
        "links to #keys, which is no heading of it",
      ]),
    );
  });
});
