// Everything the scaffolder reads from its surroundings, injected by main.ts so
// that the CLI never reaches for process.cwd() or process.env on its own.
export interface Environment {
  /** The folder the user ran the command in: project folders and local templates resolve against it. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Questions are asked only with a terminal on both ends (and CI unset). */
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== "" && env.CI !== "0" && env.CI !== "false";
}
