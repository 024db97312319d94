import { reportFromOutput, runProcess } from "./process.mjs";

export const node = {
  name: "node",
  async version() {
    return process.version;
  },
  async run({ moduleBundle }, timeoutMs) {
    return reportFromOutput(await runProcess(process.execPath, [moduleBundle], { timeoutMs }));
  },
};
