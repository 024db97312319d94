import { findBinary, reportFromOutput, runProcess } from "./process.mjs";

const QUIET = { DO_NOT_TRACK: "1", NO_COLOR: "1" };

export const bun = {
  name: "bun",
  async version() {
    const { stdout } = await runProcess(findBinary("bun"), ["--version"], { env: QUIET, timeoutMs: 20_000 });
    return stdout.trim();
  },
  async run({ moduleBundle }, timeoutMs) {
    // --no-install: Bun would otherwise fetch a missing import from the registry.
    return reportFromOutput(await runProcess(findBinary("bun"), ["--no-install", "run", moduleBundle], { env: QUIET, timeoutMs }));
  },
};
