// How a question gets its answer when no flag gave one. In a terminal, clack
// asks. Without one, nothing can be asked: the unattended asker notes what is
// missing (with the flag that answers it) and hands back the question's
// default, so every step still ends with a definite value and the run goes on
// far enough to name every missing answer at once; `finish()` then refuses
// before anything is written.
import * as clack from "@clack/prompts";
import { CancelledError, CliError } from "./errors.js";

export interface Choice<Value extends string> {
  value: Value;
  label: string;
  hint?: string;
}

export interface Asker {
  readonly interactive: boolean;
  text(question: { message: string; initial: string; validate: (value: string) => string | undefined; missing: string }): Promise<string>;
  /**
   * `missing` omitted: the question has a sound default, so without a terminal
   * it is taken silently. `fallback`: what to continue with when unanswered, if
   * not `initial` (e.g. when the initial choice is "cancel").
   */
  select<Value extends string>(question: {
    message: string;
    choices: readonly Choice<Value>[];
    initial: Value;
    missing?: string;
    fallback?: Value;
  }): Promise<Value>;
  confirm(question: { message: string; initial: boolean; missing: string }): Promise<boolean>;
  /** Whether every question so far was really answered (not defaulted for a report). */
  readonly complete: boolean;
  /** Throws the report of every missing answer, if any. */
  finish(): void;
}

/** clack answers a cancelled prompt (Ctrl-C, Escape) with a symbol. */
function answered<T>(value: T): Exclude<T, symbol> {
  if (clack.isCancel(value) || typeof value === "symbol") throw new CancelledError();
  return value as Exclude<T, symbol>;
}

export const terminalAsker: Asker = {
  interactive: true,
  complete: true,
  async text({ message, initial, validate }) {
    const value = answered(
      await clack.text({
        message,
        placeholder: initial,
        defaultValue: initial,
        validate: (typed) => validate(typed?.trim() || initial),
      }),
    );
    return value.trim() || initial;
  },
  async select<Value extends string>({ message, choices, initial }: { message: string; choices: readonly Choice<Value>[]; initial: Value }) {
    return answered(
      await clack.select({
        message,
        initialValue: initial,
        // clack's Option<Value> is a conditional type that TypeScript cannot resolve for a generic Value.
        options: choices.map(({ value, label, hint }) => ({ value, label, hint })) as Parameters<typeof clack.select<Value>>[0]["options"],
      }),
    );
  },
  async confirm({ message, initial }) {
    return answered(await clack.confirm({ message, initialValue: initial }));
  },
  finish() {},
};

/** `closing` ends the report: how to pass the flags here (after `--` under npm), and --yes. */
export function unattendedAsker(closing: string): Asker {
  const missing: string[] = [];
  return {
    interactive: false,
    get complete() {
      return missing.length === 0;
    },
    async text({ initial, missing: why }) {
      missing.push(why);
      return initial;
    },
    async select({ initial, missing: why, fallback }) {
      if (why === undefined) return initial;
      missing.push(why);
      return fallback ?? initial;
    },
    async confirm({ initial, missing: why }) {
      missing.push(why);
      return initial;
    },
    finish() {
      if (missing.length === 0) return;
      throw new CliError(
        [
          "No terminal to ask in (stdin is not a TTY, or CI is set), and these answers are missing:",
          ...missing.map((answer) => `  - ${answer}`),
          closing,
        ].join("\n"),
      );
    },
  };
}
