// Names a Workers app's worker after the project, as create-cloudflare does: a
// template's placeholder name would make every scaffolded app deploy over the
// same worker. The edit touches only the top-level `name`, keeping comments and
// layout, in whichever config the template ships (wrangler.jsonc, .json or .toml).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyEdits, modify, parse, printParseErrorCode, type ParseError } from "jsonc-parser";
import { CliError } from "./errors.js";

const CONFIG_FILES = ["wrangler.jsonc", "wrangler.json", "wrangler.toml"] as const;

/** The longest worker name: it becomes a DNS label, <name>.<account>.workers.dev. */
const MAX_WORKER_NAME = 63;

/**
 * A worker name from a package name: Cloudflare takes lowercase letters,
 * digits and dashes, not at either end, at most 63 characters.
 * "@acme/shop.v2" -> "acme-shop-v2".
 */
export function workerNameFor(packageName: string): string {
  const name = packageName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_WORKER_NAME)
    .replace(/^-+|-+$/g, "");
  return name || "hattip-session-worker";
}

/** Sets the worker's name in the app's wrangler config; returns the file it changed, if any. */
export function renameWorker(appDir: string, workerName: string): string | undefined {
  const file = CONFIG_FILES.find((candidate) => existsSync(join(appDir, candidate)));
  if (file === undefined) return undefined;
  const path = join(appDir, file);
  const text = readFileSync(path, "utf8");
  const renamed = file.endsWith(".toml") ? renameInToml(text, workerName) : renameInJsonc(text, workerName, file);
  writeFileSync(path, renamed);
  return file;
}

function renameInJsonc(text: string, workerName: string, file: string): string {
  const errors: ParseError[] = [];
  const config = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || typeof config !== "object" || config === null || Array.isArray(config)) {
    const reason = errors[0] ? printParseErrorCode(errors[0].error) : "it is not an object";
    throw new CliError(`The template's ${file} cannot be read (${reason}); fix the template and try again.`);
  }
  const indent = /^( +|\t)"/m.exec(text)?.[1] ?? "  ";
  const edits = modify(text, ["name"], workerName, {
    formattingOptions: { insertSpaces: !indent.startsWith("\t"), tabSize: indent.startsWith("\t") ? 1 : indent.length },
  });
  return applyEdits(text, edits);
}

/**
 * TOML: the first `name = ...` before any [table] header is the top-level key;
 * a template without one gets it added at the top.
 */
function renameInToml(text: string, workerName: string): string {
  const lines = text.split("\n");
  const value = JSON.stringify(workerName);
  for (const [index, line] of lines.entries()) {
    if (/^\s*\[/.test(line)) break;
    const match = /^(\s*name\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*')(.*)$/.exec(line);
    if (match) {
      lines[index] = `${match[1]}${value}${match[3]}`;
      return lines.join("\n");
    }
  }
  return `name = ${value}\n${text}`;
}
