import { defineConfig } from "vitest/config";

// One server and one redis-server per file; generous timeouts for a loaded machine.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
