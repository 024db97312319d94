/**
 * What RedisSessionStore tells the app about the server's eviction policy,
 * once per client, at its first use. Sessions are keys with a TTL, so
 * every policy but `noeviction` lets Redis delete live sessions when it
 * runs out of memory (`volatile-*` picks among keys with a TTL, which all
 * sessions are). The store fails safe under eviction (a bound session whose
 * index entry was evicted is ended, never kept alive past a revoke: see
 * READ_BOUND), but users are still signed out at random: say so.
 *
 * Managed Redis often refuses `CONFIG GET`; that is not an error and says
 * nothing. The read runs beside the request that triggered it, never
 * before it: a request does not wait for it.
 */
import { withDeadline } from "./deadline.js";

/** A client that can read the server's configuration: node-redis's client, Sentinel and Cluster clients all have `configGet`. */
interface ConfigReader {
  configGet?(parameter: string): Promise<unknown>;
}

const checked = new WeakSet<object>();

/**
 * Reads `maxmemory*` on `client`'s server the first time it is seen and
 * warns (console.warn) when the policy can evict sessions. Never throws,
 * never delays the caller.
 */
export function checkEvictionPolicy(client: object, timeout: number): void {
  if (checked.has(client)) return;
  checked.add(client);
  const { configGet } = client as ConfigReader;
  if (typeof configGet !== "function") return;
  withDeadline(
    Promise.resolve().then(() => configGet.call(client, "maxmemory*")),
    timeout,
  ).then(
    (reply) => {
      const warning = evictionWarning(reply);
      if (warning !== null) console.warn(warning);
    },
    // Refused (managed Redis renames or blocks CONFIG), or no answer in time: nothing to say.
    () => undefined,
  );
}

/** The warning for a `CONFIG GET maxmemory*` reply, or `null` when sessions are never evicted (or the reply says nothing). */
function evictionWarning(reply: unknown): string | null {
  const settings = configPairs(reply);
  const policies = [...new Set(settings.filter(([name]) => name === "maxmemory-policy").map(([, value]) => value))];
  const evicting = policies.filter((policy) => policy !== "noeviction");
  if (evicting.length === 0) return null;
  const limits = [...new Set(settings.filter(([name]) => name === "maxmemory").map(([, value]) => value))];
  // No memory limit: a 64-bit Redis never evicts, whatever the policy.
  if (limits.length > 0 && limits.every((value) => value === "0")) return null;
  const limit = limits.length === 0 ? "" : `, maxmemory ${limits.join(", ")} bytes`;
  return (
    `RedisSessionStore: this Redis evicts keys when it runs out of memory (maxmemory-policy ${evicting.join(", ")}${limit}). ` +
    "Every session is a key with a TTL, so under memory pressure Redis deletes live sessions and signs those users out; " +
    "a session whose user's index was evicted is ended too, so that no revoke can miss it. " +
    "To keep sessions until they expire, give them a Redis with maxmemory-policy noeviction and room to spare " +
    "(a full Redis then refuses new sessions with an error, answered 503, instead of deleting old ones)."
  );
}

/** `[name, value]` pairs from any shape node-redis gives a CONFIG GET reply: an object, a Map, a flat array, or one of those per Cluster node. */
function configPairs(reply: unknown): [string, string][] {
  if (reply instanceof Map) return [...reply].flatMap(([name, value]) => pair(name, value));
  if (Array.isArray(reply)) {
    if (reply.every((item) => typeof item === "string" || item instanceof Uint8Array)) {
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) pairs.push(...pair(reply[i], reply[i + 1]));
      return pairs;
    }
    return reply.flatMap(configPairs);
  }
  if (typeof reply === "object" && reply !== null) return Object.entries(reply).flatMap(([name, value]) => pair(name, value));
  return [];
}

const utf8 = new TextDecoder();

function pair(name: unknown, value: unknown): [string, string][] {
  const text = (part: unknown) => (part instanceof Uint8Array ? utf8.decode(part) : typeof part === "string" ? part : null);
  const [n, v] = [text(name), text(value)];
  return n === null || v === null ? [] : [[n.toLowerCase(), v.toLowerCase()]];
}
