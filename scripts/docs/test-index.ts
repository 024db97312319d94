/**
 * The tests of some test files as vitest itself sees them on this machine: their full names
 * (`describe > test`, also for names built at run time, as the store contract's are) and whether
 * they run. vitest's collection imports each file and runs its `describe` bodies but no test or
 * hook, so `skipIf(condition)` is judged here as it will be in the run.
 *
 * Each file is collected by the vitest project it belongs to: the nearest vitest.config.ts above it.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createVitest } from "vitest/node";

export interface CollectedTest {
  readonly fullName: string;
  /** `run` for a test that will run; `skip` and `todo` for one that will not (`.skip`, `.todo`, `skipIf` that holds here). */
  readonly mode: "run" | "only" | "skip" | "todo";
  /** `it.fails`: passes only when its body fails, so it shows the opposite of a promise. */
  readonly fails: boolean;
}

export interface TestIndex {
  /** Tests per absolute file path; a file that is missing, or in no vitest project, is absent. */
  readonly tests: ReadonlyMap<string, readonly CollectedTest[]>;
  /** Why files could not be collected (a syntax error, a throw at import), per file. */
  readonly errors: ReadonlyMap<string, string>;
}

const CONFIG_NAMES = ["vitest.config.ts", "vitest.config.mts", "vitest.config.js", "vitest.config.mjs"];

export function vitestConfigOf(testFile: string, stopAt: string): string | undefined {
  for (let dir = dirname(testFile); dir.startsWith(stopAt); dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
    if (dir === stopAt || dirname(dir) === dir) break;
  }
  return undefined;
}

export async function collectTests(testFiles: readonly string[], root: string): Promise<TestIndex> {
  const tests = new Map<string, CollectedTest[]>();
  const errors = new Map<string, string>();
  const byConfig = new Map<string, string[]>();
  for (const file of new Set(testFiles)) {
    if (!existsSync(file)) continue;
    const config = vitestConfigOf(file, root);
    if (!config) {
      errors.set(file, "no vitest.config.ts above it, so no vitest project runs it");
      continue;
    }
    byConfig.set(config, [...(byConfig.get(config) ?? []), file]);
  }

  for (const [config, files] of byConfig) {
    const vitest = await createVitest("test", {
      config,
      root: dirname(config),
      watch: false,
      reporters: [{}],
      passWithNoTests: true,
      isolate: false,
      pool: "threads",
    });
    try {
      const { testModules } = await vitest.collect(files);
      for (const module of testModules) {
        const collected: CollectedTest[] = [];
        for (const test of module.children.allTests()) {
          collected.push({ fullName: test.fullName, mode: test.options.mode, fails: test.options.fails === true });
        }
        tests.set(module.moduleId, collected);
        const moduleErrors = module.errors();
        if (moduleErrors.length > 0) errors.set(module.moduleId, moduleErrors.map((error) => error.message).join("; "));
      }
    } finally {
      await vitest.close();
    }
    for (const file of files) {
      if (!tests.has(file) && !errors.has(file)) errors.set(file, `${config} does not include it (its include patterns)`);
    }
  }
  return { tests, errors };
}
