/**
 * Type tests of the Redis and KV client shapes, compiled by
 * `npm run typecheck`, never run: node-redis clients, clusters and Sentinel
 * clients, and Miniflare's KV namespace (workerd's binding), fit as they
 * are, with the commands a user's index needs (scripts, ZRANGE, MGET, list).
 */
import type { Miniflare } from "miniflare";
import { createClient, createCluster, createSentinel } from "redis";
import { KvSessionStore, RedisSessionStore, type KvNamespaceLike, type RedisClientLike } from "hattip-session";

export const client: RedisClientLike = createClient();
export const cluster: RedisClientLike = createCluster({ rootNodes: [] });
export const sentinel: RedisClientLike = createSentinel({ name: "sessions", sentinelRootNodes: [] });
export const redis = new RedisSessionStore({ getClient: () => createClient() });

export async function kv(mf: Miniflare) {
  const namespace: KvNamespaceLike = await mf.getKVNamespace("SESSIONS");
  return new KvSessionStore({ getStore: () => namespace });
}
