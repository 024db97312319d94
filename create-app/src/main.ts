// Process control for the scaffolder: runs the CLI with the real process's
// surroundings, prints a refusal once (no stack), and sets the exit code.
import { run } from "./cli.js";
import { CliError } from "./errors.js";

try {
  await run(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
  });
} catch (error) {
  if (error instanceof CliError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`create-hattip-session-app failed unexpectedly: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  }
}
