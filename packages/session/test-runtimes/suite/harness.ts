/**
 * A test harness small enough to run anywhere: no Node built-ins, no test
 * framework, only promises and timers. Tests run one after another so that
 * timing-dependent ones (expiry) do not compete with each other.
 */

export interface TestOutcome {
  name: string;
  ok: boolean;
  error?: string;
}

export interface SuiteReport {
  passed: number;
  failed: number;
  outcomes: TestOutcome[];
  /** What the runtime under test offers, so a report shows where it ran. */
  environment: Record<string, string>;
}

type TestBody = () => Promise<void> | void;

const TEST_TIMEOUT_MS = 10_000;

export class TestList {
  readonly #tests: { name: string; body: TestBody }[] = [];

  test(name: string, body: TestBody): void {
    this.#tests.push({ name, body });
  }

  async run(): Promise<TestOutcome[]> {
    const outcomes: TestOutcome[] = [];
    for (const { name, body } of this.#tests) {
      try {
        await withTimeout(Promise.resolve().then(body), TEST_TIMEOUT_MS, name);
        outcomes.push({ name, ok: true });
      } catch (error) {
        outcomes.push({ name, ok: false, error: describeError(error) });
      }
    }
    return outcomes;
  }
}

export class AssertionFailed extends Error {
  override name = "AssertionFailed";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionFailed(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function assertNotEqual(actual: unknown, unexpected: unknown, what: string): void {
  if (deepEqual(actual, unexpected)) {
    throw new AssertionFailed(`${what}: expected anything but ${show(unexpected)}`);
  }
}

/** `work()` rejects (or throws) with an instance of `errorClass`. */
export async function assertRejects(work: () => unknown, errorClass: abstract new (...args: never[]) => Error, what: string): Promise<void> {
  let failure: unknown;
  try {
    await work();
  } catch (error) {
    failure = error;
  }
  if (failure === undefined) throw new AssertionFailed(`${what}: expected a ${errorClass.name}, but it succeeded`);
  if (!(failure instanceof errorClass)) throw new AssertionFailed(`${what}: expected a ${errorClass.name}, got ${describeError(failure)}`);
}

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`"${name}" did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
