/**
 * The Redis client for sessions, built from REDIS_URL, so that the same app
 * runs against one server, a Sentinel deployment or a Cluster with no code
 * change:
 *
 *   redis://[user:password@]host:6379[/db]            one server (rediss:// for TLS)
 *   redis+sentinel://[user:password@]host:26379,host:26379,host:26379/master-name
 *                                                     Sentinel: the sentinels and the name they monitor
 *   redis+cluster://[user:password@]host:6379,host:6379,host:6379
 *                                                     Cluster: a few nodes to discover the rest from
 *
 * Credentials in a Sentinel URL are for the data nodes (primary and
 * replicas), not the sentinels. REDIS_WAIT_REPLICAS=1 turns on the store's
 * `durability` (logins and logouts wait for that many replicas;
 * REDIS_WAIT_TIMEOUT_MS bounds the wait).
 */
import type { RedisDurabilityOptions } from "hattip-session";
import { createClient, createCluster, createSentinel } from "redis";

/** REDIS_URL or a REDIS_WAIT_* variable cannot be used as it is. */
export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

export type RedisTarget =
  | { kind: "server"; url: string }
  | { kind: "sentinel"; masterName: string; sentinels: HostAndPort[]; username?: string; password?: string }
  | { kind: "cluster"; nodes: HostAndPort[]; username?: string; password?: string };

export interface HostAndPort {
  host: string;
  port: number;
}

const SENTINEL_DEFAULT_PORT = 26379;
const REDIS_DEFAULT_PORT = 6379;
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * How long the client waits before its next try to reach a Redis it lost:
 * 50 ms, then twice as long each time, up to one try every 500 ms for as
 * long as Redis stays away. A refused connection costs Redis nothing, and
 * the cap is what brings the app back within a second of Redis answering
 * again (a restart, a failover), where a cap of seconds left it serving
 * 503s for that long.
 */
export const RECONNECT_FIRST_DELAY_MS = 50;
export const RECONNECT_MAX_DELAY_MS = 500;
const reconnectStrategy = (retries: number) => Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** retries, RECONNECT_MAX_DELAY_MS);

export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "redis" || scheme === "rediss") return { kind: "server", url };
  if (scheme !== "redis+sentinel" && scheme !== "redis+cluster") {
    throw new RedisUrlError(
      "REDIS_URL must start with redis://, rediss://, redis+sentinel:// or redis+cluster:// " +
        "(for example redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster).",
    );
  }
  const rest = url.slice(scheme.length + 3);
  const at = rest.lastIndexOf("@");
  const credentials = at === -1 ? {} : parseCredentials(rest.slice(0, at));
  const [hostList = "", path = ""] = rest.slice(at + 1).split("/", 2);
  if (scheme === "redis+sentinel") {
    const masterName = decodeURIComponent(path);
    if (!masterName) {
      throw new RedisUrlError(
        "A redis+sentinel:// REDIS_URL ends with the name the sentinels monitor: redis+sentinel://host:26379,host:26379/mymaster.",
      );
    }
    return { kind: "sentinel", masterName, sentinels: parseHosts(hostList, SENTINEL_DEFAULT_PORT), ...credentials };
  }
  if (path) throw new RedisUrlError("A redis+cluster:// REDIS_URL takes no path: a Cluster has only database 0.");
  return { kind: "cluster", nodes: parseHosts(hostList, REDIS_DEFAULT_PORT), ...credentials };
}

/** One client for the process; RedisSessionStore connects it on first use. */
export function createRedisClient(url: string) {
  const target = parseRedisUrl(url);
  switch (target.kind) {
    case "server":
      return createClient({ url: target.url, socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy } });
    case "sentinel":
      return createSentinel({
        name: target.masterName,
        sentinelRootNodes: target.sentinels,
        nodeClientOptions: {
          username: target.username,
          password: target.password,
          socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy },
        },
        sentinelClientOptions: { socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy } },
      });
    case "cluster":
      return createCluster({
        rootNodes: target.nodes.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: {
          username: target.username,
          password: target.password,
          // A request for a shard that is failing over gets its 503 at once instead of waiting out the store's timeout.
          disableOfflineQueue: true,
          socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy },
        },
        // Ask the cluster who serves a silent node's slots half a second after it goes quiet (node-redis waits 5 s by default).
        topologyRefreshOnReconnectionAttemptStrategy: 500,
      });
  }
}

/** The store's `durability` from REDIS_WAIT_REPLICAS (and REDIS_WAIT_TIMEOUT_MS), or none. */
export function redisDurability(env: Record<string, string | undefined> = process.env): RedisDurabilityOptions | undefined {
  const replicas = env.REDIS_WAIT_REPLICAS;
  if (replicas === undefined || replicas === "" || replicas === "0") return undefined;
  const timeout = env.REDIS_WAIT_TIMEOUT_MS;
  return {
    replicas: wholeNumber(replicas, "REDIS_WAIT_REPLICAS"),
    ...(timeout === undefined || timeout === "" ? {} : { timeout: wholeNumber(timeout, "REDIS_WAIT_TIMEOUT_MS") }),
  };
}

function parseCredentials(userinfo: string): { username?: string; password?: string } {
  const colon = userinfo.indexOf(":");
  const username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function parseHosts(list: string, defaultPort: number): HostAndPort[] {
  const hosts = list.split(",").map((entry) => {
    const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(entry.trim());
    if (!match) throw new RedisUrlError(`REDIS_URL lists "${entry}", which is not host or host:port.`);
    const port = match[2] === undefined ? defaultPort : Number(match[2]);
    if (!(port > 0 && port < 65536)) throw new RedisUrlError(`REDIS_URL lists port ${match[2]}, outside 1-65535.`);
    return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
  });
  return hosts;
}

function wholeNumber(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new RedisUrlError(`${name} must be a whole number, not "${value}".`);
  return Number(value);
}
