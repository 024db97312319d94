/**
 * Login attempt counters in this process's (or isolate's) memory. Honest
 * about what that covers: one process, until it restarts. On Node with
 * Redis or PostgreSQL and on Workers the counters live there instead; on
 * Vercel and Netlify this is the in-code layer under the platform's own
 * rate-limit rule (see the README).
 *
 * Bounded: past `maxKeys` counters some must go, so that a spray of
 * made-up names cannot fill the memory. Unlocked counters go first, the
 * least recently used; a locked one goes only when every counter is
 * locked, and then the one whose lock ends soonest. Otherwise a spray of
 * fresh keys would push out the lock on a guessed account and hand the
 * guesser a clean slate.
 */
import { newDeviceKey } from "./device-cookie.js";
import { afterSuccess, nextAttempt, type AttemptState, type AttemptStore, type AttemptVerdict, type LockoutRule } from "./login-throttle.js";

export class MemoryAttemptStore implements AttemptStore {
  /** Counters that were not locked when last written; Map order is least recently used first. */
  readonly #unlocked = new Map<string, AttemptState>();
  /** Counters that were locked when last written. */
  readonly #locked = new Map<string, AttemptState>();
  #deviceKey: string | undefined;

  constructor(private readonly maxKeys = 10_000) {}

  async attempt(key: string, rule: LockoutRule): Promise<AttemptVerdict> {
    const now = Date.now();
    const { state, verdict } = nextAttempt(this.#get(key), rule, now);
    this.#set(key, state, now);
    return verdict;
  }

  async succeeded(key: string, _rule: LockoutRule, forget: boolean): Promise<void> {
    const state = afterSuccess(this.#get(key), forget);
    if (state) this.#set(key, state, Date.now());
    else this.#delete(key);
  }

  /** Random for each process: device cookies sealed here open only here, until it restarts. */
  async deviceKey(): Promise<string> {
    this.#deviceKey ??= newDeviceKey();
    return this.#deviceKey;
  }

  #get(key: string): AttemptState | undefined {
    return this.#unlocked.get(key) ?? this.#locked.get(key);
  }

  #delete(key: string): void {
    this.#unlocked.delete(key);
    this.#locked.delete(key);
  }

  #set(key: string, state: AttemptState, now: number): void {
    // Re-inserting moves the key to the end of its map: the most recently used.
    this.#delete(key);
    (state.lockedUntil > now ? this.#locked : this.#unlocked).set(key, state);
    while (this.#unlocked.size + this.#locked.size > this.maxKeys) this.#evictOne();
  }

  #evictOne(): void {
    const leastRecent = this.#unlocked.keys().next();
    if (!leastRecent.done) {
      this.#unlocked.delete(leastRecent.value);
      return;
    }
    // Every counter is (or was, when written) locked: a scan, which only a flood of locked counters ever reaches.
    let soonest: string | undefined;
    let soonestEnd = Number.POSITIVE_INFINITY;
    for (const [key, state] of this.#locked) {
      if (state.lockedUntil < soonestEnd) {
        soonest = key;
        soonestEnd = state.lockedUntil;
      }
    }
    if (soonest !== undefined) this.#locked.delete(soonest);
  }
}
