// `npm create x folder --template y` hands --template to npm, not to us: npm
// keeps every flag before a lone `--` as its own config (exported to us as
// npm_config_<name>) and passes only the leftover values on. These hints name
// what npm took and the command that works, wherever a message tells the user
// to pass a flag.
/** Our flags that take a value: npm passes their values on as extra folders. */
const VALUE_FLAGS = ["template", "name", "pm"] as const;
const SWITCHES = ["yes", "install", "git", "remote", "overwrite", "force"] as const;

export function runByNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_config_user_agent?.startsWith("npm/") ?? false;
}

/** How to write a flag so that it reaches the scaffolder: after `--` under npm. */
export function flagAsTyped(flag: string, env: NodeJS.ProcessEnv): string {
  return runByNpm(env) ? `-- ${flag}` : flag;
}

/**
 * For "Expected one project folder, got 2": the flags npm kept for itself and
 * the command with them after `--`, values taken from the extra "folders".
 */
export function npmAteFlagsHint(env: NodeJS.ProcessEnv, positionals: readonly string[]): string | undefined {
  if (!runByNpm(env)) return "A folder name with spaces needs quotes.";
  const [folder, ...extras] = positionals;
  const flags: string[] = [];
  for (const name of VALUE_FLAGS) {
    if (env[`npm_config_${name}`] === undefined) continue;
    const value = extras.shift();
    flags.push(value === undefined ? `--${name}` : `--${name} ${value}`);
  }
  for (const name of SWITCHES) {
    const value = env[`npm_config_${name}`];
    if (value === "true") flags.push(`--${name}`);
    else if (value === "false" && (name === "install" || name === "git")) flags.push(`--no-${name}`);
  }
  const suggestion = ["npm create", "hattip-session-app@latest", folder, ...extras, "--", ...flags].join(" ");
  return [
    "npm keeps the flags before a lone -- for itself and passes on only their values, which then look like folders.",
    flags.length > 0
      ? `Put -- before the scaffolder's flags:\n  ${suggestion}`
      : "Put -- before the scaffolder's flags, e.g.:\n  npm create hattip-session-app@latest my-app -- --template workers-kv",
  ].join("\n");
}
