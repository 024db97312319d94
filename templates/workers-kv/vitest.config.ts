import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The files wait on servers and timers more than they compute: three at a time finish in less
    // than half the time one at a time (vitest's default on two cores) takes.
    maxWorkers: 3,
    globalSetup: ["test/support/temp-dir.ts"],
    // workerd takes a few seconds to boot on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
