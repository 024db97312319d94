// What the scaffolder prints. In a terminal it is clack's framed log; without
// one (piped, CI, a test) it is plain lines with no box-drawing characters, so
// logs and captured output read cleanly. Without a terminal, warnings go to stderr.
import * as clack from "@clack/prompts";

export interface Output {
  start(title: string): void;
  info(message: string): void;
  success(message: string): void;
  step(message: string): void;
  warn(message: string): void;
  /** The closing block, e.g. the next steps. */
  finish(message: string): void;
}

export function createOutput(terminal: boolean): Output {
  return terminal ? framedOutput : plainOutput;
}

const framedOutput: Output = {
  start: (title) => clack.intro(title),
  info: (message) => clack.log.info(message),
  success: (message) => clack.log.success(message),
  step: (message) => clack.log.step(message),
  warn: (message) => clack.log.warn(message),
  finish: (message) => clack.outro(message),
};

const plainOutput: Output = {
  start: () => {},
  info: (message) => console.log(message),
  success: (message) => console.log(message),
  step: (message) => console.log(message),
  warn: (message) => console.error(message),
  finish: (message) => console.log(message),
};
