/**
 * Login attempt counters in this process's (or isolate's) memory. Honest
 * about what that covers: one process, until it restarts. On Node with
 * Redis and on Workers the counters live in Redis or a Durable Object
 * instead; on Vercel and Netlify this is the in-code layer under the
 * platform's own rate-limit rule (see the README).
 *
 * Bounded: past `maxKeys` counters the ones least recently used go, so a
 * spray of made-up names cannot fill the memory.
 */
import { afterSuccess, nextAttempt, type AttemptState, type AttemptStore, type AttemptVerdict, type LockoutRule } from "./login-throttle.js";

export class MemoryAttemptStore implements AttemptStore {
  readonly #counters = new Map<string, AttemptState>();

  constructor(private readonly maxKeys = 10_000) {}

  async attempt(key: string, rule: LockoutRule): Promise<AttemptVerdict> {
    const { state, verdict } = nextAttempt(this.#counters.get(key), rule, Date.now());
    this.#set(key, state);
    return verdict;
  }

  async succeeded(key: string, _rule: LockoutRule, forget: boolean): Promise<void> {
    const state = afterSuccess(this.#counters.get(key), forget);
    if (state) this.#set(key, state);
    else this.#counters.delete(key);
  }

  #set(key: string, state: AttemptState): void {
    // Re-inserting moves the key to the end: Map order is least recently used first.
    this.#counters.delete(key);
    this.#counters.set(key, state);
    while (this.#counters.size > this.maxKeys) {
      const oldest = this.#counters.keys().next().value;
      if (oldest === undefined) break;
      this.#counters.delete(oldest);
    }
  }
}
