// The questions, one step each, in the order they are asked. Every step ends
// with a definite, typed value: the flag if one was given, else the default
// when --yes was given, else the asker's answer (a prompt in a terminal; without
// one, the default, with the missing answer noted for the report).
import { basename, isAbsolute, relative, resolve } from "node:path";
import type { CliArgs, ExistingFiles } from "./args.js";
import type { Asker } from "./asker.js";
import { findStore, readStores, type StoreChoice } from "./stores.js";
import { resolveTemplate, type ResolvedTemplate } from "./templates.js";
import type { TemplateChoice } from "./catalog.js";
import { CancelledError, CliError } from "./errors.js";
import { folderState, notEmptyMessage } from "./folder.js";
import { enclosingRepository } from "./git.js";
import { flagAsTyped } from "./npm-hints.js";
import type { Output } from "./output.js";
import { packageNameProblem, suggestPackageName } from "./package-name.js";
import { PACKAGE_MANAGERS, type PackageManager } from "./package-manager.js";

export const DEFAULT_FOLDER = "hattip-session-app";

export interface Answers {
  /** Absolute path of the project folder. */
  target: string;
  /** The folder as the user sees it, relative to where they ran the command ("." for there). */
  shownPath: string;
  /** undefined when the folder is new or empty: there is nothing to decide. */
  existingFiles: ExistingFiles | undefined;
  packageName: string;
  template: ResolvedTemplate;
  /**
   * The session store's name; undefined when the template's stores are only
   * known once it is downloaded (a giget source), where its default applies.
   */
  store: string | undefined;
  install: boolean;
  packageManager: PackageManager;
  git: GitPlan;
}

export type GitPlan = { init: true } | { init: false; skipped?: string };

export interface QuestionContext {
  args: CliArgs;
  ask: Asker;
  output: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  templates: readonly TemplateChoice[];
  detectedPackageManager: PackageManager;
}

export async function askQuestions(context: QuestionContext): Promise<Answers> {
  const { target, shownPath } = await projectFolder(context);
  const existingFiles = await filesAlreadyThere(context, target, shownPath);
  const packageName = await packageNameFor(context, target);
  const template = await templateChoice(context);
  const store = await storeChoice(context, template);
  const install = await installChoice(context);
  const packageManager = await packageManagerChoice(context, install);
  const git = await gitChoice(context, target);
  context.ask.finish();
  return { target, shownPath, existingFiles, packageName, template, store, install, packageManager, git };
}

async function projectFolder({ args, ask, cwd }: QuestionContext): Promise<{ target: string; shownPath: string }> {
  const folder =
    args.folder ??
    (args.yes
      ? DEFAULT_FOLDER
      : await ask.text({
          message: "Project folder",
          initial: DEFAULT_FOLDER,
          validate: (value) => (folderState(resolve(cwd, value)) === "not-a-folder" ? `${value} is a file` : undefined),
          missing: "the project folder: give it as the first argument, e.g. my-app",
        }));
  const target = resolve(cwd, folder);
  if (folderState(target) === "not-a-folder") throw new CliError(`${folder} exists and is not a folder: choose another name.`);
  // An absolute path outside the current folder reads better as typed than as ../../tmp/my-app.
  const fromHere = relative(cwd, target);
  return { target, shownPath: isAbsolute(folder) && fromHere.startsWith("..") ? target : fromHere || "." };
}

async function filesAlreadyThere({ args, ask, env }: QuestionContext, target: string, shownPath: string): Promise<ExistingFiles | undefined> {
  if (folderState(target) !== "not-empty") return undefined;
  // Without a terminal and without a folder, `target` is only the default's: nothing to ask about it.
  if (!ask.complete) return undefined;
  if (args.existingFiles !== undefined) return args.existingFiles;
  const flags = `${flagAsTyped("--overwrite", env)} to remove them, or ${flagAsTyped("--force", env)} to keep them (same-named files are replaced)`;
  // --yes never deletes anything, so it cannot answer this one.
  if (args.yes) throw new CliError(`${notEmptyMessage(shownPath)} Choose another folder, or pass ${flags}.`);
  const choice = await ask.select({
    message: `${notEmptyMessage(shownPath)} What should happen to the files in it?`,
    choices: [
      { value: "cancel", label: "Cancel", hint: "write nothing" },
      { value: "remove", label: "Remove the existing files and continue", hint: "keeps .git" },
      { value: "keep", label: "Keep them and continue", hint: "the template's files replace same-named ones" },
    ],
    initial: "cancel",
    fallback: "keep",
    missing: `what to do with the files in ${shownPath} (${notEmptyMessage(shownPath)}): pass ${flags}`,
  });
  if (choice === "cancel") throw new CancelledError();
  return choice;
}

/** The folder's name when npm accepts it; else --name, a prompt, or (with --yes) a valid suggestion. */
async function packageNameFor({ args, ask, output }: QuestionContext, target: string): Promise<string> {
  if (args.name !== undefined) {
    const problem = packageNameProblem(args.name);
    if (problem) throw new CliError(`--name "${args.name}" cannot be a package name: ${problem}.`);
    return args.name;
  }
  const folderName = basename(target);
  const problem = packageNameProblem(folderName);
  if (problem === undefined) return folderName;
  const suggestion = suggestPackageName(folderName);
  const why = `"${folderName}" cannot be a package name (${problem})`;
  if (args.yes) {
    output.info(`Package name: ${suggestion}, since ${why}.`);
    return suggestion;
  }
  return ask.text({
    message: `Package name (${why})`,
    initial: suggestion,
    validate: (value) => packageNameProblem(value),
    missing: `the package name, since ${why}: pass --name ${suggestion}`,
  });
}

async function templateChoice({ args, ask, cwd, templates }: QuestionContext): Promise<ResolvedTemplate> {
  const [first] = templates;
  if (args.template !== undefined) return resolveTemplate(args.template, templates, { remote: args.remote, cwd });
  if (first === undefined) {
    throw new CliError("No bundled templates were found: pass --template with a folder or a giget source.");
  }
  const name = args.yes
    ? first.name
    : await ask.select({
        message: "Where will it run?",
        choices: templates.map(({ name, label, hint }) => ({ value: name, label, hint })),
        initial: first.name,
        missing: `the template: pass --template with one of ${templates.map((t) => t.name).join(", ")}`,
      });
  return resolveTemplate(name, templates, { remote: args.remote, cwd });
}

/**
 * Asked only where the template offers more than one store. A giget source
 * is not on disk yet: its --store is checked once it is downloaded.
 */
async function storeChoice({ args, ask }: QuestionContext, template: ResolvedTemplate): Promise<string | undefined> {
  const stores = storesOf(template);
  if (stores === null) return args.store;
  if (args.store !== undefined) return findStore(args.store, stores, template.name).name;
  if (stores === undefined) return undefined;
  const [first] = stores as [StoreChoice, ...StoreChoice[]];
  if (args.yes || stores.length === 1) return first.name;
  return ask.select({
    message: "Where should sessions live?",
    choices: stores.map(({ name, label, hint }) => ({ value: name, label, hint })),
    initial: first.name,
  });
}

/** The template's stores; null when it is not on disk yet. */
function storesOf({ source }: ResolvedTemplate): StoreChoice[] | undefined | null {
  const dir = source.kind === "folder" ? source.dir : source.fallbackDir;
  return dir === undefined ? null : readStores(dir);
}

async function installChoice({ args, ask }: QuestionContext): Promise<boolean> {
  return (
    args.install ??
    (args.yes
      ? true
      : await ask.confirm({
          message: "Install dependencies?",
          initial: true,
          missing: "whether to install dependencies: pass --install or --no-install",
        }))
  );
}

/** Asked only when installing in a terminal; the manager that ran `create` is the default. */
async function packageManagerChoice({ args, ask, detectedPackageManager }: QuestionContext, install: boolean): Promise<PackageManager> {
  if (args.packageManager !== undefined) return args.packageManager;
  if (args.yes || !install) return detectedPackageManager;
  return ask.select({
    message: "Install with",
    choices: PACKAGE_MANAGERS.map((manager) => ({
      value: manager,
      label: manager,
      ...(manager === detectedPackageManager ? { hint: "the one running this" } : {}),
    })),
    initial: detectedPackageManager,
  });
}

async function gitChoice({ args, ask, output, cwd }: QuestionContext, target: string): Promise<GitPlan> {
  const repository = enclosingRepository(target);
  if (repository !== undefined) {
    const shownRepository = relative(cwd, repository) || ".";
    const skipped = `Skipped git init: the app is inside the git repository at ${shownRepository === "." ? "the current folder" : shownRepository}.`;
    if (args.git === true) output.warn(skipped);
    return { init: false, skipped };
  }
  const init =
    args.git ??
    (args.yes
      ? true
      : await ask.confirm({
          message: "Initialise a git repository (with a first commit)?",
          initial: true,
          missing: "whether to run git init: pass --git or --no-git",
        }));
  return init ? { init: true } : { init: false };
}
