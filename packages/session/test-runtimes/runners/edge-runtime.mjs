import { readFile } from "node:fs/promises";
import { EdgeRuntime } from "edge-runtime";
import { packageVersion } from "./package-version.mjs";

export const edgeRuntime = {
  name: "edge-runtime",
  async version() {
    return `edge-runtime ${packageVersion("edge-runtime")} (@edge-runtime/vm ${packageVersion("@edge-runtime/vm")})`;
  },
  async run({ scriptBundle }) {
    const runtime = new EdgeRuntime({ initialCode: await readFile(scriptBundle, "utf8") });
    // The promise belongs to the VM's realm; the report crosses as a JSON string.
    return JSON.parse(await runtime.evaluate("runRuntimeSuite()"));
  },
};
