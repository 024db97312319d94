import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, reportFromOutput, runProcess } from "./process.mjs";

const QUIET = { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };

export const deno = {
  name: "deno",
  async version() {
    const { stdout } = await runProcess(findBinary("deno"), ["--version"], { env: QUIET, timeoutMs: 20_000 });
    return stdout.split("\n")[0].replace(/^deno /, "");
  },
  async run({ moduleBundle }, timeoutMs) {
    // A private DENO_DIR: nothing cached from elsewhere, nothing left behind.
    const denoDir = await mkdtemp(join(tmpdir(), "hattip-session-deno-"));
    try {
      const args = ["run", "--no-remote", "--no-npm", "--no-config", "--no-lock", "--no-prompt", moduleBundle];
      return reportFromOutput(await runProcess(findBinary("deno"), args, { env: { ...QUIET, DENO_DIR: denoDir }, timeoutMs }));
    } finally {
      await rm(denoDir, { recursive: true, force: true });
    }
  },
};
