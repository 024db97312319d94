import { parseArgs } from "node:util";
import { CliError } from "./errors.js";

export interface CliArgs {
  folder: string | undefined;
  template: string | undefined;
  /** undefined: not given on the command line, so ask (or use the default with --yes). */
  install: boolean | undefined;
  git: boolean | undefined;
  remote: boolean;
  force: boolean;
  yes: boolean;
  help: boolean;
  version: boolean;
}

const OPTIONS = {
  template: { type: "string", short: "t" },
  install: { type: "boolean" },
  "no-install": { type: "boolean" },
  git: { type: "boolean" },
  "no-git": { type: "boolean" },
  remote: { type: "boolean" },
  force: { type: "boolean", short: "f" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nRun with --help to see every flag.`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new CliError(
      `Expected one project folder, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  return {
    folder: positionals[0],
    template: values.template,
    install: pairedFlag("install", values.install, values["no-install"]),
    git: pairedFlag("git", values.git, values["no-git"]),
    remote: values.remote ?? false,
    force: values.force ?? false,
    yes: values.yes ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

function pairedFlag(
  name: string,
  yes: boolean | undefined,
  no: boolean | undefined,
): boolean | undefined {
  if (yes && no) throw new CliError(`--${name} and --no-${name} contradict each other: pick one.`);
  if (yes) return true;
  if (no) return false;
  return undefined;
}

export const HELP = `Usage: npm create hattip-session-app@latest [folder] -- [options]

Creates a Hattip app with hattip-session from one of the bundled templates.

Options:
  -t, --template <name|source>  node-redis, workers-kv, vercel-edge, netlify-edge,
                                a local folder (./path), or any giget source
                                (gh:owner/repo/path, https://host/template.tar.gz)
      --remote                  fetch the named template from this project's GitHub
                                repository instead of the bundled copy; falls back to
                                the bundled copy when offline
      --install / --no-install  install dependencies (default: yes)
      --git / --no-git          run git init (default: yes; skipped inside a repository)
  -f, --force                   write into a folder that is not empty
  -y, --yes                     use the defaults for every question not answered by a flag
  -h, --help                    show this help
  -v, --version                 show the version

Without a terminal (stdin not a TTY, or CI set) nothing is asked: every answer must
come from flags or --yes.`;
