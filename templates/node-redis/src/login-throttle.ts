/**
 * Login throttling: password guessing slows to a crawl, while a user who is
 * not under attack never notices it.
 *
 * Three counters are checked before any password is hashed (a refused
 * attempt costs no CPU):
 * - one per client address, across usernames: after 100 attempts in a row
 *   that did not sign in, each further attempt waits 5 s, then 10 s, 20 s,
 *   ... up to 15 minutes. Against guessing many names from one place.
 * - one per username and client address: the same backoff after 10. A
 *   correct password resets it. Keyed by address too, so that a flood of
 *   guesses from one place cannot lock the real user out from another.
 * - one per account, across all addresses, against credential stuffing
 *   from many addresses (one guess each, which the two above never see
 *   twice). To keep the real user in while it is flooded, it is OWASP's
 *   "device cookies": a browser that signed in to the account before
 *   carries a sealed cookie naming it (device-cookie.ts), and is judged on a
 *   counter of its own (10 in a row). Every other browser shares the
 *   account's counter, which locks after 50 in an hour: guesses from a
 *   thousand addresses are then refused, the user's own browser is not.
 *
 * An attempt is counted when it starts, atomically, so that 100 concurrent
 * guesses cannot all slip past the check before the first one fails. A
 * sign-in that succeeds takes its attempt back.
 *
 * Where the counters live is the platform's choice (`AttemptStore`): Redis,
 * PostgreSQL, a Durable Object, or this process's memory.
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

/**
 * Unknown browsers, together, on one account: well above what the user's
 * own typos on a new device reach in an hour, far below a dictionary.
 */
export const PER_ACCOUNT: LockoutRule = {
  freeAttempts: 50,
  firstLockMs: 5_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

/** A browser that signed in to the account before: as strict as one address on one name. */
export const PER_KNOWN_DEVICE: LockoutRule = {
  freeAttempts: 10,
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
  /**
   * The key that seals device cookies where the app has no keys of its own
   * (a server-side session store needs none): 32 random bytes, base64url,
   * made on first use and kept with the counters, so that every process,
   * and the next deploy, opens the cookies the others sealed. Whoever can
   * read the counters' store can read it, as they could read the sessions.
   */
  deviceKey(): Promise<string>;
}

export interface LoginAttempt {
  username: string;
  clientAddress: string;
  /**
   * This browser's device ID, when its device cookie names this account
   * (it signed in to it before). Without one the browser is unknown, and
   * counts on the account's shared counter.
   */
  knownDevice?: string | undefined;
}

export class LoginThrottle {
  constructor(private readonly store: AttemptStore) {}

  /** Whether this attempt may check its password. Counts it. */
  async begin(attempt: LoginAttempt): Promise<AttemptVerdict> {
    const keys = await keysOf(attempt);
    // Each counter that refuses stops the ones after it: the earlier ones keep the attempt, which is what a guesser pays.
    for (const [key, rule] of [
      [keys.address, PER_ADDRESS],
      [keys.pair, PER_USER_AND_ADDRESS],
      [keys.account, keys.accountRule],
    ] as const) {
      const verdict = await this.store.attempt(key, rule);
      if (!verdict.allowed) return verdict;
    }
    return { allowed: true };
  }

  /**
   * The password was right: the pair and this browser's own counter start
   * afresh; the address and the account's shared counter get the attempt
   * back, no more (a success must not wipe what a flood of others counted).
   */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const keys = await keysOf(attempt);
    await Promise.all([
      this.store.succeeded(keys.pair, PER_USER_AND_ADDRESS, true),
      this.store.succeeded(keys.address, PER_ADDRESS, false),
      this.store.succeeded(keys.account, keys.accountRule, attempt.knownDevice !== undefined),
    ]);
  }
}

interface CounterKeys {
  address: string;
  pair: string;
  /** The account's shared counter, or this known device's own counter for the account. */
  account: string;
  accountRule: LockoutRule;
}

/** Counter keys are SHA-256 digests: the store holds no username, address or device ID in the clear. */
async function keysOf({ username, clientAddress, knownDevice }: LoginAttempt): Promise<CounterKeys> {
  const name = username.toLowerCase();
  const [pair, address, account] = await Promise.all([
    digest(`pair\n${name}\n${clientAddress}`),
    digest(`address\n${clientAddress}`),
    knownDevice === undefined ? digest(`account\n${name}`) : digest(`device\n${name}\n${knownDevice}`),
  ]);
  return {
    pair: `pair:${pair}`,
    address: `address:${address}`,
    account: knownDevice === undefined ? `account:${account}` : `device:${account}`,
    accountRule: knownDevice === undefined ? PER_ACCOUNT : PER_KNOWN_DEVICE,
  };
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(bytes.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
