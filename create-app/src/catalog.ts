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
  /** The platform, and only the platform: where the app runs, not where its sessions live. */
  label: string;
  hint: string;
  dir: string;
  /** Where that platform's local dev (vercel dev, netlify dev, wrangler dev) reads its keys. */
  secrets?: readonly DeclaredSecret[];
  /**
   * Each store of this template as prose reads it after "sessions in": a
   * product keeps its name ("Durable Objects"), a thing gets its article ("an
   * encrypted cookie"). A store missing here is named by its label.
   */
  storesInWords?: Readonly<Record<string, string>>;
}

export type Platform = Omit<TemplateChoice, "dir">;

/** The platforms this project maintains, in the order they are offered. */
const PLATFORMS: readonly Platform[] = [
  {
    name: "node-redis",
    label: "Node server",
    hint: "a long-running server or container you run",
    storesInWords: { redis: "Redis", postgres: "PostgreSQL" },
  },
  {
    name: "workers-kv",
    label: "Cloudflare Workers",
    hint: "Cloudflare's global edge, no server to run",
    storesInWords: { kv: "Workers KV", "durable-objects": "Durable Objects" },
  },
  {
    name: "vercel-edge",
    label: "Vercel Edge",
    hint: "Vercel's Edge Functions, no server to run",
    secrets: [{ file: ".env", variable: "SESSION_KEYS" }],
    storesInWords: { cookie: "an encrypted cookie" },
  },
  {
    name: "netlify-edge",
    label: "Netlify Edge",
    hint: "Netlify's Edge Functions, on Deno",
    secrets: [{ file: ".env", variable: "SESSION_KEYS" }],
    storesInWords: { cookie: "an encrypted cookie", blobs: "Netlify Blobs" },
  },
];

/** The platform a bundled template name stands for; undefined for any other template. */
export function platformNamed(name: string): Platform | undefined {
  return PLATFORMS.find((platform) => platform.name === name);
}

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
