// The scaffolder's refusals: typed, printed once without a stack by main.ts,
// each with the exit code the shell should see.

/** A refusal the user can act on: printed without a stack trace, exits non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The user pressed Ctrl-C or cancelled a prompt; 130 is the shell's code for SIGINT. */
export class CancelledError extends CliError {
  constructor(message = "Cancelled: nothing was written.") {
    super(message, 130);
    this.name = "CancelledError";
  }
}
