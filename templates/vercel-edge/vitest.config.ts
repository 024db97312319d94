import { defineConfig } from "vitest/config";

// Each file bundles the function and serves it in edge-runtime; generous timeouts for a loaded machine.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
