// The templates on offer: the four platforms this project maintains (with their
// labels, hints and the secrets each needs locally), then any other template
// folder found; and the hattip-session range new apps depend on.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Environment } from "./environment.js";
import type { DeclaredSecret } from "./secrets.js";

export interface TemplateChoice {
  name: string;
  label: string;
  hint: string;
  dir: string;
  /** Where that platform's local dev (vercel dev, netlify dev, wrangler dev) reads its keys. */
  secrets?: readonly DeclaredSecret[];
}

/** The platforms this project maintains, in the order they are offered. */
const PLATFORMS: ReadonlyArray<Omit<TemplateChoice, "dir">> = [
  {
    name: "node-redis",
    label: "Node + Redis",
    hint: "a long-running server or container; sessions in Redis, revocable at once",
  },
  {
    name: "workers-kv",
    label: "Cloudflare Workers + KV",
    hint: "global edge on Cloudflare; sessions in Workers KV, no server to run",
  },
  {
    name: "vercel-edge",
    label: "Vercel Edge",
    hint: "deploying on Vercel; small sessions in an encrypted cookie, no database",
    secrets: [{ file: ".env", variable: "SESSION_KEYS" }],
  },
  {
    name: "netlify-edge",
    label: "Netlify Edge",
    hint: "deploying on Netlify (Deno); small sessions in a cookie, no database",
    secrets: [{ file: ".env", variable: "SESSION_KEYS" }],
  },
];

export const TEMPLATES_DIR_VARIABLE = "CREATE_HATTIP_SESSION_APP_TEMPLATES";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Where templates are read from: an explicit folder (template authors, tests),
 * else the copy bundled at prepack, else the monorepo's templates/ during development.
 */
export function templatesRoot({ env }: Pick<Environment, "env">): string {
  const explicit = env[TEMPLATES_DIR_VARIABLE];
  if (explicit) return explicit;
  const bundled = join(packageRoot, "templates");
  if (existsSync(bundled)) return bundled;
  return join(packageRoot, "..", "templates");
}

/** Every template folder with a package.json: known platforms first, then any others. */
export function listTemplates(root: string): TemplateChoice[] {
  const folders = existsSync(root)
    ? readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory() && existsSync(join(root, name, "package.json")))
    : [];
  const known = PLATFORMS.filter((platform) => folders.includes(platform.name)).map((platform) => ({ ...platform, dir: join(root, platform.name) }));
  const others = folders
    .filter((name) => !PLATFORMS.some((platform) => platform.name === name))
    .sort()
    .map((name) => ({
      name,
      label: name,
      hint: readDescription(join(root, name, "package.json")),
      dir: join(root, name),
    }));
  return [...known, ...others];
}

/** The hattip-session range written into new apps: the version this package was packed with. */
export function hattipSessionRange(root: string): string {
  const recorded = readJson(join(root, "bundle-info.json"))?.hattipSessionVersion;
  if (typeof recorded === "string") return `^${recorded}`;
  const monorepo = readJson(join(packageRoot, "..", "packages", "session", "package.json"))?.version;
  if (typeof monorepo === "string") return `^${monorepo}`;
  return "latest";
}

export function ownVersion(): string {
  const version = readJson(join(packageRoot, "package.json"))?.version;
  return typeof version === "string" ? version : "unknown";
}

function readDescription(packageJsonPath: string): string {
  const description = readJson(packageJsonPath)?.description;
  return typeof description === "string" ? description : "";
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
