/**
 * Login attempt counters in Durable Objects: one object per counter, named
 * by its key, so every request for that key, from any Cloudflare location,
 * meets the same strongly consistent state (Workers KV would let two
 * locations count past each other for up to a minute). An object runs one
 * request at a time around its storage calls, which makes each attempt
 * atomic. An alarm deletes a counter an hour after its last attempt.
 * One more object, named DEVICE_KEY_OBJECT, keeps the key that seals
 * device cookies: the first request to ask stores it, every later one, in
 * any location, reads it.
 *
 * The same class keeps each user's "Recent security activity" (activity.ts):
 * one object per user, named `activity:<keyed hash of the user name>`,
 * holding the capped list; its alarm deletes it once the last entry is as
 * old as the log keeps any. One request at a time per object makes each
 * append a clean read-modify-write.
 */
import { DurableObject } from "cloudflare:workers";
import type { ActivityEntry, ActivityStorage } from "./activity.js";
import { newDeviceKey } from "./device-cookie.js";
import {
  afterSuccess,
  nextAttempt,
  ThrottleUnavailableError,
  type AttemptState,
  type AttemptStore,
  type AttemptVerdict,
  type LockoutRule,
} from "./login-throttle.js";

export class LoginAttempts extends DurableObject {
  async attempt(rule: LockoutRule): Promise<AttemptVerdict> {
    const { state, verdict } = nextAttempt(await this.ctx.storage.get<AttemptState>("state"), rule, Date.now());
    await this.ctx.storage.put("state", state);
    await this.ctx.storage.setAlarm(state.lastAttemptAt + rule.forgetAfterMs);
    return verdict;
  }

  async succeeded(forget: boolean): Promise<void> {
    const state = afterSuccess(await this.ctx.storage.get<AttemptState>("state"), forget);
    if (state) await this.ctx.storage.put("state", state);
    else await this.ctx.storage.deleteAll();
  }

  /** The key this object keeps, or `candidate` kept as it when there is none yet. Used by DEVICE_KEY_OBJECT only; it sets no alarm. */
  async deviceKey(candidate: string): Promise<string> {
    const kept = await this.ctx.storage.get<string>("deviceKey");
    if (kept !== undefined) return kept;
    await this.ctx.storage.put("deviceKey", candidate);
    return candidate;
  }

  /** Adds `entry` as the newest of this user's log, keeps `limit`, and deletes the log `maxAgeSeconds` after this entry. */
  async appendActivity(entry: ActivityEntry, limit: number, maxAgeSeconds: number): Promise<void> {
    const entries = (await this.ctx.storage.get<unknown[]>("activity")) ?? [];
    await this.ctx.storage.put("activity", [entry, ...entries].slice(0, limit));
    await this.ctx.storage.setAlarm(Date.now() + maxAgeSeconds * 1000);
  }

  async recentActivity(limit: number): Promise<unknown[]> {
    return ((await this.ctx.storage.get<unknown[]>("activity")) ?? []).slice(0, limit);
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/** Counter keys are `address:...`, `pair:...`, `account:...`, `device:...`: this name is none of them. */
const DEVICE_KEY_OBJECT = "device-cookie-key";

/** The app's view of the counters: each key its own object. */
export class DurableObjectAttemptStore implements AttemptStore {
  constructor(private readonly namespace: DurableObjectNamespace<LoginAttempts>) {}

  async attempt(key: string, rule: LockoutRule): Promise<AttemptVerdict> {
    const verdict: AttemptVerdict = await this.#call(async () => {
      const { allowed, retryAfterMs } = (await this.#counter(key).attempt(rule)) as { allowed: boolean; retryAfterMs?: number };
      return allowed ? { allowed: true } : { allowed: false, retryAfterMs: retryAfterMs ?? 1_000 };
    });
    return verdict;
  }

  async succeeded(key: string, _rule: LockoutRule, forget: boolean): Promise<void> {
    await this.#call(() => this.#counter(key).succeeded(forget));
  }

  async deviceKey(): Promise<string> {
    return this.#call(() => this.#counter(DEVICE_KEY_OBJECT).deviceKey(newDeviceKey()));
  }

  #counter(key: string) {
    return this.namespace.get(this.namespace.idFromName(key));
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new ThrottleUnavailableError(`The login attempt counter did not answer: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Activity objects are `activity:<key>`: no counter key starts so (they are `address:...`, `pair:...`, ...). */
const ACTIVITY_OBJECT_PREFIX = "activity:";

/** Each user's activity in an object of its own, in the LOGIN_ATTEMPTS namespace: strongly consistent, one writer at a time. */
export class DurableObjectActivityStorage implements ActivityStorage {
  constructor(private readonly namespace: DurableObjectNamespace<LoginAttempts>) {}

  async append(key: string, entry: ActivityEntry, { limit, maxAgeSeconds }: { limit: number; maxAgeSeconds: number }): Promise<void> {
    await this.#log(key).appendActivity(entry, limit, maxAgeSeconds);
  }

  async recent(key: string, limit: number): Promise<unknown[]> {
    return (await this.#log(key).recentActivity(limit)) as unknown[];
  }

  #log(key: string) {
    return this.namespace.get(this.namespace.idFromName(ACTIVITY_OBJECT_PREFIX + key));
  }
}
