/**
 * Login throttling: password guessing slows to a crawl, while a user who is
 * not under attack never notices it.
 *
 * Two counters are checked before any password is hashed (a refused attempt
 * costs no CPU):
 * - one per username and client address: after 10 attempts in a row that
 *   did not sign in, each further attempt waits 5 s, then 10 s, 20 s, ...
 *   up to 15 minutes. A correct password resets it. Keyed by address too, so a
 *   flood of guesses from one place cannot lock the real user out from
 *   another.
 * - one per client address, across usernames: the same backoff after 100,
 *   against guessing many names from one place.
 *
 * An attempt is counted when it starts, atomically, so that 100 concurrent
 * guesses cannot all slip past the check before the first one fails. A
 * sign-in that succeeds takes its attempt back.
 *
 * Where the counters live is the platform's choice (`AttemptStore`): Redis,
 * a Durable Object, or this process's memory.
 */

/** How one counter locks. Times in milliseconds. */
export interface LockoutRule {
  /** Attempts allowed in a row before the first lock. */
  freeAttempts: number;
  /** The first lock; each attempt after it doubles the lock. */
  firstLockMs: number;
  maxLockMs: number;
  /** A counter with no attempt for this long starts again from zero. */
  forgetAfterMs: number;
}

export const PER_USER_AND_ADDRESS: LockoutRule = {
  freeAttempts: 10,
  firstLockMs: 5_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

export const PER_ADDRESS: LockoutRule = {
  freeAttempts: 100,
  firstLockMs: 5_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

/** A counter as it is stored. */
export interface AttemptState {
  count: number;
  /** Attempts are refused until then (ms since the epoch); 0 when not locked. */
  lockedUntil: number;
  lastAttemptAt: number;
}

export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * One attempt on a counter: the verdict, and the state to store. Pure, so
 * that every `AttemptStore` applies the same rule (the Redis one runs the
 * same steps in Lua).
 */
export function nextAttempt(state: AttemptState | undefined, rule: LockoutRule, now: number): { state: AttemptState; verdict: AttemptVerdict } {
  const current = state && now - state.lastAttemptAt < rule.forgetAfterMs ? state : { count: 0, lockedUntil: 0, lastAttemptAt: now };
  if (now < current.lockedUntil) return { state: current, verdict: { allowed: false, retryAfterMs: current.lockedUntil - now } };
  const count = current.count + 1;
  const lockedUntil = count >= rule.freeAttempts ? now + lockDuration(rule, count) : 0;
  return { state: { count, lockedUntil, lastAttemptAt: now }, verdict: { allowed: true } };
}

function lockDuration(rule: LockoutRule, count: number): number {
  const doublings = Math.min(count - rule.freeAttempts, 30);
  return Math.min(rule.firstLockMs * 2 ** doublings, rule.maxLockMs);
}

/** The counter after a successful sign-in: its attempt taken back. `forget` clears it altogether. */
export function afterSuccess(state: AttemptState | undefined, forget: boolean): AttemptState | undefined {
  if (!state || forget) return undefined;
  return { ...state, count: Math.max(0, state.count - 1) };
}

/**
 * The counters could not be read or written (Redis down, say). Sign-in is
 * refused with 503 rather than let guesses through uncounted.
 */
export class ThrottleUnavailableError extends Error {
  override name = "ThrottleUnavailableError";
}

/** Where counters live. Each method must be atomic for its key, and throw `ThrottleUnavailableError` when it cannot count. */
export interface AttemptStore {
  /** Counts one attempt under `key` unless it is locked. */
  attempt(key: string, rule: LockoutRule): Promise<AttemptVerdict>;
  /** A sign-in under `key` succeeded: clear the counter (`forget`) or take one attempt back. */
  succeeded(key: string, rule: LockoutRule, forget: boolean): Promise<void>;
}

export interface LoginAttempt {
  username: string;
  clientAddress: string;
}

export class LoginThrottle {
  constructor(private readonly store: AttemptStore) {}

  /** Whether this attempt may check its password. Counts it. */
  async begin(attempt: LoginAttempt): Promise<AttemptVerdict> {
    const { pair, address } = await keysOf(attempt);
    const byAddress = await this.store.attempt(address, PER_ADDRESS);
    if (!byAddress.allowed) return byAddress;
    const byPair = await this.store.attempt(pair, PER_USER_AND_ADDRESS);
    // Refused by the pair counter: the address counter keeps the attempt, which is what a guesser pays.
    return byPair;
  }

  /** The password was right: the pair starts afresh, and the address gets its attempt back. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const { pair, address } = await keysOf(attempt);
    await Promise.all([this.store.succeeded(pair, PER_USER_AND_ADDRESS, true), this.store.succeeded(address, PER_ADDRESS, false)]);
  }
}

/** Counter keys are SHA-256 digests: the store holds no username or address in the clear. */
async function keysOf({ username, clientAddress }: LoginAttempt): Promise<{ pair: string; address: string }> {
  const [pair, address] = await Promise.all([digest(`pair\n${username.toLowerCase()}\n${clientAddress}`), digest(`address\n${clientAddress}`)]);
  return { pair: `pair:${pair}`, address: `address:${address}` };
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(bytes.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
