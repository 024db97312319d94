/** Runs the bundled suite in one runtime and sums up what went wrong, never throwing. */

const RUNTIME_TIMEOUT_MS = 60_000;

/** Runtimes that must lack Node's globals, or they would not catch the package relying on them. */
const WITHOUT_NODE_GLOBALS = new Set(["workerd", "edge-runtime"]);

function withTimeout(work, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function runOne(runtime, bundles) {
  try {
    const version = await runtime.version();
    const started = performance.now();
    const report = await withTimeout(runtime.run(bundles, RUNTIME_TIMEOUT_MS), RUNTIME_TIMEOUT_MS, runtime.name);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const problems = report.outcomes.filter((outcome) => !outcome.ok).map((outcome) => `${outcome.name}\n      ${outcome.error}`);
    if (WITHOUT_NODE_GLOBALS.has(runtime.name) && report.environment.Buffer !== "absent") {
      problems.push("Buffer is defined here, so a Buffer in the package would go unnoticed");
    }
    return { name: runtime.name, version, seconds, passed: report.passed, failed: report.failed, problems, environment: report.environment };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name: runtime.name, version: "?", passed: 0, failed: 0, problems: [`could not run the suite: ${message}`] };
  }
}

export const succeeded = (result) => result.problems.length === 0 && result.passed > 0;
