import { readFile } from "node:fs/promises";
import { Miniflare } from "miniflare";
import { packageVersion } from "./package-version.mjs";

// No nodejs_compat flag, on purpose: without it workerd has no `node:` modules
// and no Buffer, so either slipping into the package fails this runner.
const COMPATIBILITY_DATE = "2025-01-01";

export const workerd = {
  name: "workerd",
  async version() {
    return `workerd ${packageVersion("workerd")} via miniflare ${packageVersion("miniflare")}, compatibility date ${COMPATIBILITY_DATE}, no nodejs_compat`;
  },
  async run({ workerBundle }) {
    let runtimeOutput = "";
    let outputEnded = Promise.resolve();
    const mf = new Miniflare({
      // Given as an explicit module list, so that workerd itself resolves any import left in the bundle.
      modules: [{ type: "ESModule", path: "worker.mjs", contents: await readFile(workerBundle, "utf8") }],
      kvNamespaces: ["SESSIONS"],
      // The class the worker entry exports, on SQLite storage (wrangler's `new_sqlite_classes`).
      durableObjects: { SESSION_OBJECTS: { className: "SessionDurableObject", useSQLite: true } },
      compatibilityDate: COMPATIBILITY_DATE,
      // workerd's own output becomes part of the failure message instead of stray lines.
      handleRuntimeStdio(stdout, stderr) {
        for (const stream of [stdout, stderr]) stream.on("data", (chunk) => (runtimeOutput += chunk));
        outputEnded = new Promise((resolve) => stderr.on("close", resolve));
      },
    });
    let report;
    try {
      const response = await mf.dispatchFetch("http://localhost/");
      const body = await response.text();
      if (!response.ok) throw new Error(`the worker answered ${response.status}: ${body.slice(0, 2000)}`);
      report = JSON.parse(body);
    } catch (error) {
      // A workerd that failed to start has exited; give its last words a moment to arrive.
      await Promise.race([outputEnded, new Promise((resolve) => setTimeout(resolve, 1000))]);
      const detail = runtimeOutput.trim();
      // dispose() rethrows a failed start: the error above says more.
      await mf.dispose().catch(() => {});
      // workerd's own first line names the cause; Miniflare's message only says that it failed.
      throw detail ? new Error(`workerd: ${detail.split("\n")[0]}`, { cause: error }) : error;
    }
    await mf.dispose();
    return report;
  },
};
