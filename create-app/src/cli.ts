import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import * as clack from "@clack/prompts";
import { HELP, parseCliArgs, type CliArgs } from "./args.js";
import { hattipSessionRange, listTemplates, ownVersion, type TemplateChoice } from "./catalog.js";
import { CliError } from "./errors.js";
import { initGitRepository, isInsideGitRepository } from "./git.js";
import { packageNameProblem, suggestPackageName } from "./package-name.js";
import {
  detectPackageManager,
  installCommand,
  runScriptCommand,
  type PackageManager,
} from "./package-manager.js";
import { askFolder, askTemplate, askYesNo } from "./prompts.js";
import { isEmptyFolder, scaffold, type TemplateSource } from "./scaffold.js";

const DEFAULT_FOLDER = "hattip-session-app";
/** Where --remote fetches this project's templates from. */
const REPOSITORY_TEMPLATES = "gh:hattip-session/hattip-session/templates";

export interface Environment {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
}

export async function run(argv: readonly string[], environment: Environment): Promise<void> {
  const args = parseCliArgs(argv);
  if (args.help) return void console.log(HELP);
  if (args.version) return void console.log(ownVersion());

  const interactive = environment.stdinIsTTY && !isCi(environment.env);
  const templates = listTemplates();
  const questions = new Questions(args, interactive);
  if (interactive) clack.intro("create-hattip-session-app");

  const folder = await questions.folder(environment.cwd);
  const template = await questions.template(templates);
  const install = await questions.yesNo("install", "Install dependencies?");
  const target = folder === undefined ? undefined : resolve(environment.cwd, folder);
  const git =
    target !== undefined && isInsideGitRepository(target)
      ? false
      : await questions.yesNo("git", "Initialise a git repository?");
  questions.failOnMissing();
  if (target === undefined || template === undefined || install === undefined || git === undefined) {
    throw new CliError("Internal error: an answer is missing.");
  }

  const result = await scaffold({
    target,
    source: template.source,
    secrets: template.secrets,
    force: args.force,
    packageName: basename(target),
    hattipSessionRange: hattipSessionRange(),
    onFallback: (reason) =>
      clack.log.warn(`Could not fetch the latest template (${reason}); used the bundled copy.`),
  });

  const manager = detectPackageManager(environment.env.npm_config_user_agent);
  const shownPath = relative(environment.cwd, target) || ".";
  clack.log.success(`Created ${shownPath === "." ? basename(target) : shownPath}`);
  if (result.secretFiles.length > 0) {
    clack.log.info(
      `Generated a fresh secret key in ${result.secretFiles.join(", ")} (kept out of git by .gitignore).`,
    );
  }
  if (git && !initGitRepository(target)) clack.log.warn("git init failed; the app was created without a repository.");
  let installed = false;
  if (install) installed = runInstall(manager, target);
  clack.outro(nextSteps(manager, target, shownPath, installed));
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== "" && env.CI !== "0" && env.CI !== "false";
}

/** Each answer: the flag if given, else the default with --yes, else a prompt, else recorded as missing. */
class Questions {
  private readonly missing: string[] = [];

  constructor(
    private readonly args: CliArgs,
    private readonly interactive: boolean,
  ) {}

  async folder(cwd: string): Promise<string | undefined> {
    const validate = (folder: string) => folderProblem(resolve(cwd, folder), this.args.force);
    let folder = this.args.folder ?? (this.args.yes ? DEFAULT_FOLDER : undefined);
    if (folder === undefined && this.interactive) folder = await askFolder(DEFAULT_FOLDER, validate);
    if (folder === undefined) {
      this.missing.push("the project folder: give it as the first argument, e.g. my-app");
      return undefined;
    }
    const problem = validate(folder);
    if (problem) throw new CliError(problem);
    return folder;
  }

  async template(templates: TemplateChoice[]): Promise<ResolvedTemplate | undefined> {
    let name = this.args.template ?? (this.args.yes ? templates[0]?.name : undefined);
    if (name === undefined && this.interactive && templates.length > 0) name = await askTemplate(templates);
    if (name === undefined) {
      this.missing.push(
        `the template: pass --template with one of ${templates.map((t) => t.name).join(", ") || "(none bundled)"}`,
      );
      return undefined;
    }
    return resolveTemplate(name, templates, this.args.remote);
  }

  async yesNo(flag: "install" | "git", question: string): Promise<boolean | undefined> {
    const given = this.args[flag] ?? (this.args.yes ? true : undefined);
    if (given !== undefined) return given;
    if (this.interactive) return askYesNo(question);
    this.missing.push(`whether to ${flag === "install" ? "install dependencies" : "run git init"}: pass --${flag} or --no-${flag}`);
    return undefined;
  }

  failOnMissing(): void {
    if (this.missing.length === 0) return;
    throw new CliError(
      [
        "No terminal to ask in (stdin is not a TTY, or CI is set), and these answers are missing:",
        ...this.missing.map((answer) => `  - ${answer}`),
        "Pass --yes to take the defaults for everything not given.",
      ].join("\n"),
    );
  }
}

function folderProblem(target: string, force: boolean): string | undefined {
  const name = basename(target);
  const problem = packageNameProblem(name);
  if (problem) {
    return `"${name}" cannot be the package name (${problem}). Try "${suggestPackageName(name)}".`;
  }
  if (!force && !isEmptyFolder(target)) {
    return `${target} is not empty. Choose another folder, or pass --force to write into it.`;
  }
  return undefined;
}

interface ResolvedTemplate {
  source: TemplateSource;
  secrets?: TemplateChoice["secrets"];
}

/** A bundled name, a local folder, or anything with a giget provider prefix (gh:, https://, ...). */
function resolveTemplate(name: string, templates: TemplateChoice[], remote: boolean): ResolvedTemplate {
  if (name.startsWith(".") || name.startsWith("/")) {
    const dir = resolve(name);
    if (!existsSync(join(dir, "package.json"))) throw new CliError(`${dir} is not a template folder: it has no package.json.`);
    return { source: { kind: "folder", dir } };
  }
  if (/^[\w+.-]+:/.test(name)) return { source: { kind: "giget", source: name } };
  const bundled = templates.find((template) => template.name === name);
  if (!bundled) {
    throw new CliError(
      `Unknown template "${name}". Valid templates: ${templates.map((t) => t.name).join(", ") || "(none bundled)"}.\n` +
        "A community template can be named by its giget source, e.g. gh:owner/repo/path.",
    );
  }
  const source: TemplateSource = remote
    ? { kind: "giget", source: `${REPOSITORY_TEMPLATES}/${name}`, fallbackDir: bundled.dir }
    : { kind: "folder", dir: bundled.dir };
  return { source, secrets: bundled.secrets };
}

function runInstall(manager: PackageManager, dir: string): boolean {
  clack.log.step(`Installing dependencies with ${manager}...`);
  const result = spawnSync(manager, ["install"], {
    cwd: dir,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (result.status === 0) return true;
  clack.log.warn(`${installCommand(manager)} failed; the app is in place, run it again yourself.`);
  return false;
}

function nextSteps(manager: PackageManager, target: string, shownPath: string, installed: boolean): string {
  const scripts = readScripts(join(target, "package.json"));
  const steps = [
    ...(shownPath === "." ? [] : [`cd ${shownPath.includes(" ") ? JSON.stringify(shownPath) : shownPath}`]),
    ...(installed ? [] : [installCommand(manager)]),
    ...["dev", "test"].filter((script) => script in scripts).map((script) => runScriptCommand(manager, script)),
  ];
  return `Next steps:\n${steps.map((step) => `  ${step}`).join("\n")}`;
}

function readScripts(packageJsonPath: string): Record<string, string> {
  try {
    return (JSON.parse(readFileSync(packageJsonPath, "utf8")).scripts ?? {}) as Record<string, string>;
  } catch {
    return {};
  }
}
