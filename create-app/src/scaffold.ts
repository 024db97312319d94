// Writing the app: copy or download the template into a hidden staging folder
// beside the target, customise it there, and only then move it into place, so
// Ctrl-C or a failed download never leaves a half-written app behind.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { downloadTemplate } from "giget";
import type { ExistingFiles } from "./args.js";
import { isTemplateFile } from "./copy-filter.js";
import { customizeApp, type Customization, type CustomizationResult } from "./customize.js";
import { CancelledError, CliError } from "./errors.js";
import { emptyFolderKeepingGit, folderState, notEmptyMessage } from "./folder.js";

export type TemplateSource = { kind: "folder"; dir: string } | { kind: "giget"; source: string; fallbackDir?: string };

export interface ScaffoldRequest extends Customization {
  target: string;
  /** The target as the user sees it (relative to where they ran the command), for messages. */
  shownPath: string;
  source: TemplateSource;
  /** What to do with files already in the target; undefined refuses a folder that is not empty. */
  existingFiles: ExistingFiles | undefined;
  /** Told when a remote template could not be fetched and the bundled copy was used. */
  onFallback?: (reason: string) => void;
}

/**
 * Builds the app in a hidden sibling folder and only then moves it into
 * place; existing files are removed (or merged over) only at that last step.
 */
export async function scaffold(request: ScaffoldRequest): Promise<CustomizationResult> {
  const { target, shownPath, existingFiles } = request;
  const state = folderState(target);
  if (state === "not-a-folder") throw new CliError(`${shownPath} exists and is not a folder: choose another name.`);
  if (state === "not-empty" && existingFiles === undefined) {
    throw new CliError(`${notEmptyMessage(shownPath)} Choose another folder, or pass --overwrite or --force.`);
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
    moveIntoPlace(staging, target, existingFiles);
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
    const filter = templateFilter();
    await downloadTemplate(source.source, {
      dir: staging,
      cwd: dirname(staging),
      force: true,
      registry: false,
      silent: true,
      ignore: (path) => !filter.keeps(path),
    });
    filter.removeFoldersLeftEmpty(staging);
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
  const filter = templateFilter();
  cpSync(from, to, {
    recursive: true,
    filter: (path) => filter.keeps(relative(from, path).split(sep).join("/")),
  });
  filter.removeFoldersLeftEmpty(to);
}

/**
 * isTemplateFile, remembering what it left out: a folder that held only such
 * files (docs/ and its screenshots) is created by the copy or the extraction
 * all the same, and is removed afterwards rather than left empty in the app.
 */
function templateFilter() {
  const leftOut: string[] = [];
  return {
    keeps(relativePath: string): boolean {
      if (isTemplateFile(relativePath)) return true;
      leftOut.push(relativePath.replace(/\/$/, ""));
      return false;
    },
    removeFoldersLeftEmpty(root: string): void {
      for (const path of leftOut) {
        for (let folder = dirname(path); folder !== "." && folder !== "/"; folder = dirname(folder)) {
          const absolute = join(root, folder);
          if (!existsSync(absolute) || readdirSync(absolute).length > 0) break;
          rmdirSync(absolute);
        }
      }
    },
  };
}

function moveIntoPlace(staging: string, target: string, existingFiles: ExistingFiles | undefined): void {
  if (!existsSync(target)) {
    renameSync(staging, target);
    return;
  }
  if (existingFiles === "keep" && folderState(target) === "not-empty") {
    // --force: merge, the template's files win over same-named ones, the others stay.
    cpSync(staging, target, { recursive: true, force: true });
    return;
  }
  if (existingFiles === "remove") emptyFolderKeepingGit(target);
  // Keep the folder itself: it may be the user's shell's working directory (`create .`).
  for (const entry of readdirSync(staging)) renameSync(join(staging, entry), join(target, entry));
}
