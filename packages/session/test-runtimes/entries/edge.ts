/**
 * Entry for Vercel's edge-runtime, which evaluates scripts, not modules:
 * the suite is exposed on the global object for the runner to call.
 */
import { runSuite } from "../suite/index.js";

(globalThis as { runRuntimeSuite?: () => Promise<string> }).runRuntimeSuite = async () =>
  JSON.stringify(await runSuite({ platform: { name: "vercel-edge" } }));
