import { defineConfig } from "vitest/config";

// Cross-package tests: scaffolding from packed tarballs, browser flows, benchmark smoke.
// They start servers and browsers, so they run one file at a time on this 2-core machine.
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    passWithNoTests: true,
  },
});
