/**
 * The Lua scripts that keep RedisSessionStore's per-user index in step
 * with the sessions it names, each one atomic on the server.
 *
 * A session bound to a user lives at `prefix{tag}<idHash>` and its user's
 * index at `prefix{tag}:sessions`: the same hash tag, so on a Cluster both
 * sit in one slot and one script may touch them together. The index is a
 * sorted set of ID hashes scored by the moment each session's key expires,
 * in the Redis server's own clock: the script reads `TIME` once and gives
 * the key that very deadline (`PXAT`, Redis 6.2 and later), so that a
 * score and the expiry of the key it names are the same millisecond,
 * whatever the app servers' clocks say. (`PX` would count from the
 * server's cached command time, which can be a millisecond off `TIME`.) Every write prunes members whose score has
 * passed and moves the index's own expiry to its newest member, so an
 * index never outlives the sessions it names and never lets one go early.
 *
 * Every key a script touches is passed in KEYS, as Redis asks of scripts
 * (and as managed Redis proxies enforce). Revoking all of a user's
 * sessions therefore runs in rounds: a round deletes the sessions it was
 * told about and answers with the members it was not told about (a login
 * that landed meanwhile), until a round answers with none.
 */
import { utf8Encode } from "../crypto/utf8.js";

/** Milliseconds on the Redis server's clock; frozen for the whole script, as key expiry is. */
const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Drops members whose session has expired and lets the index live exactly as long as its newest member. */
const SETTLE = `
local function settle(index, now)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  local newest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if newest[2] then redis.call('PEXPIREAT', index, newest[2]) end
end
`;

export interface RedisScript {
  readonly name: string;
  readonly source: string;
}

const script = (name: string, body: string): RedisScript => ({ name, source: `${NOW}${SETTLE}${body}` });

/**
 * Creates (`NX`) or updates (`XX`) a bound session and its index entry.
 * KEYS: session, index. ARGV: value, ttl ms, "NX" | "XX", ID hash.
 * Returns 1 when written, 0 when the session was already there (NX) or gone (XX).
 * The index entry is added before the value is set, so that an index of
 * the wrong type fails the script before anything is written: a session
 * is never stored without its entry.
 */
export const WRITE_BOUND = script(
  "write-bound",
  `
local exists = redis.call('EXISTS', KEYS[1]) == 1
if (ARGV[3] == 'NX') == exists then return 0 end
local now = now_ms()
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', now + ttl)
settle(KEYS[2], now)
return 1
`,
);

/**
 * Reads a bound session, served only while its user's index still names
 * it. An entry gone while its session lives can only mean that the index
 * lost it: Redis evicted the index under memory pressure (it goes cold
 * while the session is read on every request), or someone deleted it. A
 * revoke-all reads only the index, so such a session could never be ended:
 * it is deleted here instead, and the user signed out. Eviction may sign a
 * user out, never keep a revoked session alive.
 * KEYS: session, index. ARGV: ID hash. Returns the value, or nil.
 */
export const READ_BOUND = script(
  "read-bound",
  `
local value = redis.call('GET', KEYS[1])
if not value then return false end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return value end
redis.call('DEL', KEYS[1])
return false
`,
);

/**
 * Ends a bound session and drops its index entry.
 * KEYS: session, index. ARGV: ID hash. Returns 1 when a live session was there.
 */
export const DESTROY_BOUND = script(
  "destroy-bound",
  `
local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return deleted
`,
);

/**
 * Moves a bound session to a new ID of the same user in one step, so that
 * no revoke can fall between the old key's death and the new key's birth.
 * KEYS: old session, new session, index. ARGV: value, ttl ms, old ID hash, new ID hash.
 * Returns 1 when moved, 0 when the old session was gone (nothing written),
 * -1 when the new ID is taken (nothing written: try another).
 */
export const ROTATE_BOUND = script(
  "rotate-bound",
  `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local now = now_ms()
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', now + ttl)
settle(KEYS[3], now)
return 1
`,
);

/**
 * One round of revoking a user's sessions: deletes the sessions named in
 * KEYS[2..] and their entries, prunes, and returns the members still
 * listed, except ARGV[1]: sessions this round was not told about.
 * KEYS: index, session keys. ARGV: the member to keep (or ""), the ID hashes of KEYS[2..] in order.
 */
export const REVOKE_BOUND = script(
  "revoke-bound",
  `
for i = 2, #KEYS do
  redis.call('DEL', KEYS[i])
  redis.call('ZREM', KEYS[1], ARGV[i])
end
settle(KEYS[1], now_ms())
local left = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if member ~= ARGV[1] then left[#left + 1] = member end
end
return left
`,
);

const digests = new WeakMap<RedisScript, Promise<string>>();

/** The SHA-1 Redis names a script by (`EVALSHA`), as lower-case hex. */
export function scriptSha1(target: RedisScript): Promise<string> {
  let digest = digests.get(target);
  if (!digest) {
    digest = crypto.subtle
      .digest("SHA-1", utf8Encode(target.source))
      .then((bytes) => Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join(""));
    digests.set(target, digest);
  }
  return digest;
}

/** `true` for the error Redis answers to an `EVALSHA` of a script it has not cached (yet, or since a restart). */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
