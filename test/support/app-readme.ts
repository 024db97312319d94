/**
 * What a scaffolded app's README must be: about that app only. It names no
 * setting of another store of its platform, its deploy section names none
 * of the other stores' steps, every link stays inside the app (or is an
 * absolute https link), every file it names is in the app, and every
 * `#anchor` is one of its headings. Used on apps laid out by create-app's
 * own code (test/app-readmes.test.ts) and on scaffolded ones
 * (test/scaffold-templates.test.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { APPS, appId, settingsOf } from "../../starter/generate/catalog.js";

/** Words a deploy section must not hold, per app: another store's steps, as the issue that asked for this listed them. */
const FOREIGN_IN_DEPLOY: Record<string, RegExp[]> = {
  "node-redis/redis": [/PostgreSQL/, /DATABASE_URL/],
  "node-redis/postgres": [/Redis/, /REDIS_URL/, /redis-client/],
  "workers-kv/kv": [/SessionDurableObject/],
  "workers-kv/durable-objects": [/kv namespace/i, /\bKV\b/],
  "vercel-edge/cookie": [],
  "netlify-edge/cookie": [/Blobs/],
  "netlify-edge/blobs": [/SESSION_KEYS/, /encrypted cookie/i, /generate-key/],
};

/** Paths a README names in backticks that look like files of the app. */
const FILE_PATH =
  /`((?:src|scripts|test|netlify|api|dev|public|types)\/[\w./-]+|Dockerfile|\.dockerignore|\.env\.example|\.dev\.vars\.example|netlify\.toml|vercel\.json|wrangler\.jsonc|worker-configuration\.d\.ts|worker-runtime\.d\.ts|tsconfig(?:\.build)?\.json)`/g;

export function readmeProblems(appDir: string, id: string): string[] {
  const app = APPS.find((candidate) => appId(candidate) === id);
  if (!app) return [`no app ${id} in starter/generate/catalog.ts`];
  const readme = readFileSync(join(appDir, "README.md"), "utf8");
  const problems: string[] = [];

  const own = new Set(settingsOf(app).map((setting) => setting.name));
  const siblings = APPS.filter((other) => other.platform === app.platform && other !== app);
  for (const name of new Set(siblings.flatMap((other) => settingsOf(other).map((setting) => setting.name)))) {
    if (!own.has(name) && new RegExp(`\\b${name}\\b`).test(readme)) problems.push(`names ${name}, a setting of another store`);
  }

  const deploy = /^## Deploy it\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
  if (!deploy) problems.push("has no Deploy it section");
  for (const foreign of FOREIGN_IN_DEPLOY[id] ?? []) {
    if (foreign.test(deploy)) problems.push(`its deploy section says ${foreign}, which is another store's`);
  }

  const anchors = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map(([, heading]) => slug(heading!)));
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = target!;
    if (/^https:\/\//.test(link)) continue;
    if (/^[a-z]+:/i.test(link)) problems.push(`links to ${link}, neither https nor inside the app`);
    else if (link.startsWith("#")) {
      if (!anchors.has(link.slice(1))) problems.push(`links to ${link}, which is no heading of it`);
    } else {
      const path = normalize(link.split("#")[0]!);
      if (path.startsWith("..") || path.startsWith(sep)) problems.push(`links to ${link}, outside the app`);
      else if (!existsSync(join(appDir, path))) problems.push(`links to ${link}, which the app does not have`);
    }
  }

  for (const [, file] of readme.matchAll(FILE_PATH)) {
    const path = file!.replace(/\/$/, "");
    if (!existsSync(join(appDir, path))) problems.push(`names \`${file}\`, which the app does not have`);
  }

  const heading = readme.split("\n")[0] ?? "";
  const storeWords = app.store.kind === "cookie" ? "encrypted cookie" : app.store.label;
  if (!heading.startsWith("# ") || !heading.toLowerCase().includes(storeWords.toLowerCase()))
    problems.push(`its heading (${heading}) does not name ${storeWords}`);
  return problems;
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/\s/g, "-");
}
