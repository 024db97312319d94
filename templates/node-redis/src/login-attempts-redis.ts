/**
 * Login attempt counters in Redis: shared by every process of the app and
 * kept across restarts, so neither more processes nor a crash hands a
 * guesser fresh attempts. Each counter is one hash that expires an hour
 * after its last attempt. A Lua script applies the rule of
 * login-throttle.ts (`nextAttempt`) atomically, with Redis's own clock, so
 * concurrent attempts on any process are counted one by one. The key that
 * seals device cookies lives here too, made by whichever process asks first.
 */
import { newDeviceKey } from "./device-cookie.js";
import { ThrottleUnavailableError, type AttemptStore, type AttemptVerdict, type LockoutRule } from "./login-throttle.js";

/** The part of a node-redis client (single node, Sentinel or Cluster) the counters use. */
export interface RedisCountersClient {
  readonly isReady: boolean;
  eval(script: string, options: { keys: string[]; arguments?: string[] }): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

const PREFIX = "login-attempts:";
/** No TTL: it outlives every counter. An `allkeys-*` eviction that takes it only makes the device cookies sealed so far unknown. */
const DEVICE_KEY = `${PREFIX}device-cookie-key`;
const TIMEOUT_MS = 2_000;

/** Returns 0 when the attempt is allowed (and counted), else the milliseconds until it would be. */
const ATTEMPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local free, first, max, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'count', 'lockedUntil', 'lastAttemptAt')
local count, lockedUntil, last = tonumber(state[1]) or 0, tonumber(state[2]) or 0, tonumber(state[3]) or 0
if now - last >= forget then count = 0; lockedUntil = 0 end
if now < lockedUntil then return lockedUntil - now end
count = count + 1
if count >= free then
  lockedUntil = now + math.min(first * 2 ^ math.min(count - free, 30), max)
else
  lockedUntil = 0
end
redis.call('HSET', KEYS[1], 'count', count, 'lockedUntil', lockedUntil, 'lastAttemptAt', now)
redis.call('PEXPIRE', KEYS[1], forget)
return 0
`;

/** The stored key, or ARGV[1] stored as the key when there is none yet: the first process to ask decides for all. */
const DEVICE_KEY_SCRIPT = `
local key = redis.call('GET', KEYS[1])
if key then return key end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/** Takes one attempt back (a successful sign-in), never below zero. */
const REFUND = `
local count = tonumber(redis.call('HGET', KEYS[1], 'count'))
if count and count > 0 then redis.call('HSET', KEYS[1], 'count', count - 1) end
return 0
`;

export class RedisAttemptStore implements AttemptStore {
  constructor(private readonly client: RedisCountersClient) {}

  async attempt(key: string, rule: LockoutRule): Promise<AttemptVerdict> {
    const args = [rule.freeAttempts, rule.firstLockMs, rule.maxLockMs, rule.forgetAfterMs].map(String);
    const wait = Number(await this.#run(() => this.client.eval(ATTEMPT, { keys: [PREFIX + key], arguments: args })));
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true };
  }

  async succeeded(key: string, _rule: LockoutRule, forget: boolean): Promise<void> {
    await this.#run(() => (forget ? this.client.del(PREFIX + key) : this.client.eval(REFUND, { keys: [PREFIX + key] })));
  }

  async deviceKey(): Promise<string> {
    return String(await this.#run(() => this.client.eval(DEVICE_KEY_SCRIPT, { keys: [DEVICE_KEY], arguments: [newDeviceKey()] })));
  }

  /** Never waits on node-redis's offline queue: while Redis is away, sign-in fails at once with 503. */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw new ThrottleUnavailableError("Redis is not connected: login attempts cannot be counted.");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ThrottleUnavailableError(`Redis did not answer within ${TIMEOUT_MS} ms.`)), TIMEOUT_MS);
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (error) {
      if (error instanceof ThrottleUnavailableError) throw error;
      throw new ThrottleUnavailableError(`Redis failed to count a login attempt: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
