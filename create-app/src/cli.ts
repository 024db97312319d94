// The scaffolder from arguments to a ready app: parse the flags, ask what they
// leave open, write the app, then git init, install, make the first commit, and
// print the next steps. A failed install still leaves the app in place but
// ends non-zero, saying what failed and what to run.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { HELP, parseCliArgs } from "./args.js";
import { terminalAsker, unattendedAsker } from "./asker.js";
import { hattipSessionRange, listTemplates, ownVersion, platformNamed, templatesRoot } from "./catalog.js";
import { isCi, type Environment } from "./environment.js";
import { CliError } from "./errors.js";
import { commitAll, initRepository } from "./git.js";
import { installDependencies } from "./install.js";
import { runByNpm } from "./npm-hints.js";
import { createOutput, type Output } from "./output.js";
import { detectPackageManager, installCommand, runScriptCommand, type PackageManager } from "./package-manager.js";
import { askQuestions, type Answers } from "./questions.js";
import { scaffold } from "./scaffold.js";
import { SESSION_TARBALL_VARIABLE, sessionTarballFrom } from "./session-tarball.js";
import { createdLine } from "./summary.js";

export type { Environment } from "./environment.js";

const INITIAL_COMMIT_MESSAGE = "Initial commit from create-hattip-session-app";

export async function run(argv: readonly string[], environment: Environment): Promise<void> {
  const { cwd, env } = environment;
  const args = parseCliArgs(argv, env);
  if (args.help) return void console.log(HELP);
  if (args.version) return void console.log(ownVersion());

  const sessionTarball = sessionTarballFrom(env, cwd);
  const interactive = environment.stdinIsTTY && environment.stdoutIsTTY && !isCi(env);
  const output = createOutput(interactive);
  const root = templatesRoot(environment);
  const templates = listTemplates(root);
  output.start("create-hattip-session-app");
  const answers = await askQuestions({
    args,
    ask: interactive ? terminalAsker : unattendedAsker(closingHint(env)),
    output,
    cwd,
    env,
    templates,
    detectedPackageManager: detectPackageManager(env.npm_config_user_agent),
  });

  const result = await scaffold({
    target: answers.target,
    shownPath: answers.shownPath,
    source: answers.template.source,
    ...(answers.template.secrets ? { secrets: answers.template.secrets } : {}),
    templateName: answers.template.name,
    ...(answers.store !== undefined ? { store: answers.store } : {}),
    existingFiles: answers.existingFiles,
    packageName: answers.packageName,
    hattipSessionRange: hattipSessionRange(root),
    ...(sessionTarball ? { sessionTarball } : {}),
    onFallback: (reason) => output.warn(`Could not fetch the latest template (${reason}); used the bundled copy.`),
  });
  output.success(
    createdLine({
      folder: answers.shownPath === "." ? basename(answers.target) : answers.shownPath,
      templateName: answers.template.name,
      platform: platformNamed(answers.template.name),
      store: result.store,
    }),
  );
  if (result.vendoredSession) {
    output.info(
      `hattip-session is the build ${SESSION_TARBALL_VARIABLE} names, copied into the app ("${result.vendoredSession}"), not the registry's.`,
    );
  } else if (sessionTarball) {
    output.warn(
      `${SESSION_TARBALL_VARIABLE} is set, but the template does not depend on the workspace's hattip-session ("*"): its own range was kept.`,
    );
  }
  if (result.worker) output.info(`Named the worker "${result.worker.name}" in ${result.worker.file}.`);
  if (result.secretFiles.length > 0) {
    output.info(`Generated a fresh secret key in ${result.secretFiles.join(", ")} (kept out of git by .gitignore).`);
  }

  const repository = startRepository(answers, output);
  const installFailure = answers.install ? install(answers, env, output) : undefined;
  if (repository) commitFirst(answers.target, output);
  output.finish(nextSteps(answers, installFailure === undefined && answers.install));
  if (installFailure !== undefined) throw new CliError(installFailure);
}

/** The last line of the missing-answers report: how to pass flags from here. */
function closingHint(env: NodeJS.ProcessEnv): string {
  const yes = "Pass --yes to take the defaults for everything not given.";
  if (!runByNpm(env)) return yes;
  const kept = env.npm_config_yes === "true" ? ", as it did with the --yes you gave" : "";
  return (
    `${yes}\nWith npm, put the flags after a lone --, or npm keeps them for itself${kept}:\n` +
    "  npm create hattip-session-app@latest my-app -- --yes"
  );
}

function startRepository(answers: Answers, output: Output): boolean {
  const { git } = answers;
  if (!git.init) {
    if (git.skipped) output.info(git.skipped);
    return false;
  }
  const initialised = initRepository(answers.target);
  if (!initialised.ok) output.warn(`git init failed (${initialised.reason}); the app was created without a repository.`);
  return initialised.ok;
}

/** Returns what went wrong, said so the user can act on it, or undefined when installed. */
function install(answers: Answers, env: NodeJS.ProcessEnv, output: Output): string | undefined {
  const manager = answers.packageManager;
  output.step(`Installing dependencies with ${manager}...`);
  const outcome = installDependencies(manager, answers.target, env);
  if (outcome.ok) return undefined;
  const cd = answers.shownPath === "." ? "" : `cd ${quoted(answers.shownPath)} && `;
  return (
    `Installing dependencies failed: ${outcome.reason}. The app itself is in place.\n` +
    `Fix what the output above names (network, registry, Node version, or choose another manager with --pm), then run:\n` +
    `  ${cd}${installCommand(manager)}`
  );
}

function commitFirst(target: string, output: Output): void {
  const committed = commitAll(target, INITIAL_COMMIT_MESSAGE);
  if (committed.ok) {
    output.info("Made the first git commit.");
    return;
  }
  output.warn(
    `The git repository is ready but the first commit failed: ${committed.reason}\n` +
      'Set your name and email (git config --global user.name "..." and user.email "..."), then: git add -A && git commit -m "Initial commit"',
  );
}

function nextSteps(answers: Answers, installed: boolean): string {
  const manager: PackageManager = answers.packageManager;
  const scripts = readScripts(join(answers.target, "package.json"));
  const steps = [
    ...(answers.shownPath === "." ? [] : [`cd ${quoted(answers.shownPath)}`]),
    ...(installed ? [] : [installCommand(manager)]),
    ...["dev", "test"].filter((script) => script in scripts).map((script) => runScriptCommand(manager, script)),
  ];
  return `Next steps:\n${steps.map((step) => `  ${step}`).join("\n")}`;
}

function quoted(path: string): string {
  return /[\s"'$`\\]/.test(path) ? JSON.stringify(path) : path;
}

function readScripts(packageJsonPath: string): Record<string, string> {
  try {
    return (JSON.parse(readFileSync(packageJsonPath, "utf8")).scripts ?? {}) as Record<string, string>;
  } catch {
    return {};
  }
}
