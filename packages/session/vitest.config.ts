import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The shared suites (test-runtimes/suite) import the package by name; under vitest that is the source.
    alias: { "hattip-session": fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    // These files wait on servers, sockets and timers far more than they compute: three at a time
    // take 92 s here against 245 s one at a time (vitest's default on two cores), with every test passing.
    maxWorkers: 3,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
