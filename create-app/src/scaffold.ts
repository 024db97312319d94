import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { downloadTemplate } from "giget";
import { isTemplateFile } from "./copy-filter.js";
import { customizeApp, type Customization } from "./customize.js";
import { CancelledError, CliError } from "./errors.js";

export type TemplateSource =
  | { kind: "folder"; dir: string }
  | { kind: "giget"; source: string; fallbackDir?: string };

export interface ScaffoldRequest extends Customization {
  target: string;
  source: TemplateSource;
  force: boolean;
  /** Told when a remote template could not be fetched and the bundled copy was used. */
  onFallback?: (reason: string) => void;
}

/** A folder counts as empty when it holds nothing, or only a .git directory. */
export function isEmptyFolder(path: string): boolean {
  if (!existsSync(path)) return true;
  return readdirSync(path).every((entry) => entry === ".git");
}

/**
 * Builds the app in a hidden sibling folder and only then moves it into
 * place, so Ctrl-C or a failed download never leaves a half-written app.
 */
export async function scaffold(request: ScaffoldRequest): Promise<{ secretFiles: string[] }> {
  const { target, force } = request;
  if (existsSync(target) && !isEmptyFolder(target) && !force) {
    throw new CliError(`${target} is not empty. Choose another folder, or pass --force to write into it.`);
  }
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(target)}.partial-${process.pid}-${Date.now()}`);
  const removeStaging = () => rmSync(staging, { recursive: true, force: true });
  const onSignal = () => {
    removeStaging();
    process.stderr.write(`\n${new CancelledError().message}\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    mkdirSync(staging);
    await fetchTemplate(request, staging);
    if (!existsSync(join(staging, "package.json"))) {
      throw new CliError("The template has no package.json at its root: it is not an app template.");
    }
    const result = customizeApp(staging, request);
    moveIntoPlace(staging, target);
    return result;
  } finally {
    removeStaging();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

async function fetchTemplate(request: ScaffoldRequest, staging: string): Promise<void> {
  const { source } = request;
  if (source.kind === "folder") {
    copyTemplateFolder(source.dir, staging);
    return;
  }
  try {
    await downloadTemplate(source.source, {
      dir: staging,
      cwd: dirname(staging),
      force: true,
      registry: false,
      silent: true,
      ignore: (path) => !isTemplateFile(path),
    });
  } catch (error) {
    const reason = (error as Error).message;
    if (!source.fallbackDir) {
      throw new CliError(`Could not fetch the template ${source.source}: ${reason}`);
    }
    request.onFallback?.(reason);
    rmSync(staging, { recursive: true, force: true });
    copyTemplateFolder(source.fallbackDir, staging);
  }
}

export function copyTemplateFolder(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (path) => isTemplateFile(relative(from, path).split(sep).join("/")),
  });
}

function moveIntoPlace(staging: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(staging, target);
  } else if (readdirSync(target).length === 0) {
    // Keep the folder itself: it may be the user's shell's working directory (`create .`).
    for (const entry of readdirSync(staging)) renameSync(join(staging, entry), join(target, entry));
  } else {
    // --force into a folder with files: merge, the template's files win.
    cpSync(staging, target, { recursive: true, force: true });
  }
}
