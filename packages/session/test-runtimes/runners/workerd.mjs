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
    const mf = new Miniflare({
      modules: true,
      script: await readFile(workerBundle, "utf8"),
      kvNamespaces: ["SESSIONS"],
      compatibilityDate: COMPATIBILITY_DATE,
    });
    try {
      const response = await mf.dispatchFetch("http://localhost/");
      const body = await response.text();
      if (!response.ok) throw new Error(`the worker answered ${response.status}: ${body.slice(0, 2000)}`);
      return JSON.parse(body);
    } finally {
      await mf.dispose();
    }
  },
};
