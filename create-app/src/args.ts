// The command line, parsed with node:util's parseArgs: every flag of the
// scaffolder, with `--no-x` pairs reported as undefined when neither is given so
// that the question is asked (or taken from --yes) instead of silently defaulted.
import { parseArgs } from "node:util";
import { CliError } from "./errors.js";
import { PACKAGE_MANAGERS, type PackageManager } from "./package-manager.js";
import { npmAteFlagsHint } from "./npm-hints.js";

export interface CliArgs {
  folder: string | undefined;
  template: string | undefined;
  /** The session store, for a template that offers more than one (see stores.ts). */
  store: string | undefined;
  /** The package.json name, when the folder's name cannot be one (or to choose another). */
  name: string | undefined;
  packageManager: PackageManager | undefined;
  /** undefined: not given on the command line, so ask (or use the default with --yes). */
  install: boolean | undefined;
  git: boolean | undefined;
  remote: boolean;
  /** A non-empty folder: "remove" its files first (--overwrite) or "keep" them (--force). */
  existingFiles: ExistingFiles | undefined;
  yes: boolean;
  help: boolean;
  version: boolean;
}

/** What to do with the files already in a non-empty project folder. */
export type ExistingFiles = "remove" | "keep";

const OPTIONS = {
  template: { type: "string", short: "t" },
  store: { type: "string", short: "s" },
  name: { type: "string" },
  pm: { type: "string" },
  install: { type: "boolean" },
  "no-install": { type: "boolean" },
  git: { type: "boolean" },
  "no-git": { type: "boolean" },
  remote: { type: "boolean" },
  overwrite: { type: "boolean" },
  force: { type: "boolean", short: "f" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

function parseFlags(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliArgs {
  // pnpm, yarn and bun pass a `--` through as it was typed; it separates nothing here.
  const args = argv.filter((arg) => arg !== "--");
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nRun with --help to see every flag.`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    const hint = npmAteFlagsHint(env, positionals);
    throw new CliError(`Expected one project folder, got ${positionals.length}: ${positionals.join(" ")}` + (hint ? `\n${hint}` : ""));
  }
  if (values.overwrite && values.force) {
    throw new CliError("--overwrite (remove the files already there) and --force (keep them) contradict each other: pick one.");
  }
  return {
    folder: positionals[0],
    template: values.template,
    store: values.store,
    name: values.name,
    packageManager: parsePackageManager(values.pm),
    install: pairedFlag("install", values.install, values["no-install"]),
    git: pairedFlag("git", values.git, values["no-git"]),
    remote: values.remote ?? false,
    existingFiles: values.overwrite ? "remove" : values.force ? "keep" : undefined,
    yes: values.yes ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

function parsePackageManager(value: string | undefined): PackageManager | undefined {
  if (value === undefined) return undefined;
  const manager = PACKAGE_MANAGERS.find((candidate) => candidate === value);
  if (manager === undefined) {
    throw new CliError(`Unknown package manager "${value}" for --pm. Use one of: ${PACKAGE_MANAGERS.join(", ")}.`);
  }
  return manager;
}

function pairedFlag(name: string, yes: boolean | undefined, no: boolean | undefined): boolean | undefined {
  if (yes && no) throw new CliError(`--${name} and --no-${name} contradict each other: pick one.`);
  if (yes) return true;
  if (no) return false;
  return undefined;
}

export const HELP = `Usage: npm create hattip-session-app@latest [folder] -- [options]
       pnpm create hattip-session-app [folder] [options]   (also yarn, bun)

Creates a Hattip app with hattip-session from one of the bundled templates.
With npm, put -- before the options: npm keeps the flags before it for itself.

Options:
  -t, --template <name|source>  node-redis, workers-kv, vercel-edge, netlify-edge,
                                a local folder (./path), or any giget source
                                (gh:owner/repo/path, https://host/template.tar.gz)
  -s, --store <name>            where sessions live, for a platform with a choice:
                                  node-redis    redis (default) or postgres
                                  workers-kv    kv (default) or durable-objects
                                  netlify-edge  cookie (default) or blobs
                                  vercel-edge   cookie (its only store)
      --remote                  fetch the named template from this project's GitHub
                                repository instead of the bundled copy; falls back to
                                the bundled copy when offline
      --name <package-name>     the package.json name (default: the folder's name;
                                asked for when the folder's name cannot be one)
      --pm <npm|pnpm|yarn|bun>  the package manager to install with and to name in
                                the next steps (default: the one running this)
      --install / --no-install  install dependencies (default: yes)
      --git / --no-git          git init and an initial commit (default: yes;
                                skipped inside an existing repository)
      --overwrite               a folder that is not empty: remove its files first
  -f, --force                   a folder that is not empty: keep its files, and write
                                the template's over those with the same names
  -y, --yes                     use the defaults for every question not answered by a flag
  -h, --help                    show this help
  -v, --version                 show the version

Without a terminal (stdin not a TTY, or CI set) nothing is asked: every answer must
come from flags or --yes. Needs Node 20.19 or later.`;
