import { defineConfig } from "vitest/config";

// One server and one redis-server per file; generous timeouts for a loaded machine.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The files wait on servers and timers more than they compute: three at a time finish in less
    // than half the time one at a time (vitest's default on two cores) takes.
    maxWorkers: 3,
    globalSetup: ["test/support/build.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
