import { defineConfig } from "vitest/config";

// Each file bundles the function and serves it in edge-runtime; generous timeouts for a loaded machine.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The files wait on servers and timers more than they compute: three at a time finish in less
    // than half the time one at a time (vitest's default on two cores) takes.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
