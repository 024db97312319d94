import { defineConfig } from "vitest/config";

// Unit tests of the scaffolder's pure parts; the CLI end to end is tested from the root test/.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"] },
});
