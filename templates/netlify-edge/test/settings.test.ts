/**
 * Every setting the app's code reads is documented where a person looks:
 * in the example settings file (with its default) and in README.md's
 * settings table (with the same default); and nothing is documented that
 * the code does not read. The settings are collected from the code itself:
 * `process.env.NAME`, `env.NAME`, `Deno.env.get("NAME")`, `readEnv("NAME")`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
/** Where the app's code is; its tests set their own variables and are not read here. */
const CODE_FOLDERS = ["src", "scripts", "api", "netlify", "dev"];
/** The system's variables, and those the app's own dev scripts set for its local server: not settings of the app. */
const INTERNAL = new Set(["PATH", "HOME", "PUBLIC_DIR"]);

const READS = [
  /\bprocess\.env\.([A-Z][A-Z0-9_]*)\b(?!\s*(?:\?\?|\|\||&&)?=[^=])/g,
  /\bprocess\.env\[["']([A-Z][A-Z0-9_]*)["']\]/g,
  /(?<![.\w])env\.([A-Z][A-Z0-9_]*)\b(?!\s*(?:\?\?|\|\||&&)?=[^=])/g,
  /\b(?:Deno\.env\.get|Netlify\.env\.get|readEnv)\(\s*["']([A-Z][A-Z0-9_]*)["']/g,
];

function codeFiles(): string[] {
  return CODE_FOLDERS.filter((folder) => existsSync(join(APP_DIR, folder))).flatMap((folder) =>
    readdirSync(join(APP_DIR, folder), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.(?:ts|mts|js|mjs)$/.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name)),
  );
}

/** Binding names in wrangler.jsonc (KV namespaces, Durable Objects): read as `env.NAME`, but not settings. */
function bindings(): Set<string> {
  const config = join(APP_DIR, "wrangler.jsonc");
  if (!existsSync(config)) return new Set();
  return new Set([...readFileSync(config, "utf8").matchAll(/"(?:binding|name)":\s*"([A-Z][A-Z0-9_]*)"/g)].map((match) => match[1]!));
}

/** Each setting the code reads, with the files that read it. */
function settingsRead(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const notSettings = bindings();
  for (const file of codeFiles()) {
    const text = readFileSync(file, "utf8");
    for (const pattern of READS) {
      for (const [, name] of text.matchAll(pattern)) {
        if (!name || INTERNAL.has(name) || notSettings.has(name)) continue;
        found.set(name, [...new Set([...(found.get(name) ?? []), relative(APP_DIR, file)])]);
      }
    }
  }
  return found;
}

const exampleName = existsSync(join(APP_DIR, ".dev.vars.example")) ? ".dev.vars.example" : ".env.example";

/** The example file's settings: each `NAME=` line (commented out or not) and the `Default:` line above it. */
function exampleSettings(): Map<string, string | undefined> {
  const settings = new Map<string, string | undefined>();
  let defaultLine: string | undefined;
  for (const line of readFileSync(join(APP_DIR, exampleName), "utf8").split("\n")) {
    const assignment = /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (assignment) {
      settings.set(assignment[1]!, defaultLine);
      defaultLine = undefined;
      continue;
    }
    const stated = /^#\s*Default:\s*(.+?)\.?$/.exec(line);
    if (stated) defaultLine = stated[1];
    if (line.trim() === "") defaultLine = undefined;
  }
  return settings;
}

/** README.md's settings table: `| \`NAME\` | default | what it does |`. */
function readmeSettings(): Map<string, string> {
  const readme = readFileSync(join(APP_DIR, "README.md"), "utf8");
  const section = /^## Settings\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
  return new Map([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)].map((match) => [match[1]!, match[2]!.trim()]));
}

const plain = (text: string | undefined) => text?.replace(/`/g, "").trim();

describe(`the settings the code reads, ${exampleName} and README.md`, () => {
  const read = settingsRead();
  const example = exampleSettings();
  const readme = readmeSettings();

  it("finds the settings every app reads", () => {
    expect([...read.keys()]).toEqual(expect.arrayContaining(["USERS", "ALLOW_DEMO_USER"]));
  });

  it.each([...read.entries()])("%s is in the example file and README.md's table, with the same default", (name, files) => {
    expect(example.has(name), `${name} (read in ${files.join(", ")}) is not in ${exampleName}`).toBe(true);
    expect(readme.has(name), `${name} (read in ${files.join(", ")}) is not in README.md's "Settings" table`).toBe(true);
    const stated = plain(readme.get(name));
    expect(stated, `README.md gives ${name} no default`).toBeTruthy();
    expect(plain(example.get(name)), `${exampleName} states another default for ${name} than README.md`).toBe(stated);
  });

  it("documents no setting the code does not read", () => {
    const documented = new Set([...example.keys(), ...readme.keys()]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});
