/**
 * Durable writes for RedisSessionStore: a write that matters (a login, a
 * logout, a revoke) is followed by `WAIT <replicas> <timeout>` and counts
 * only once enough replicas have it, so that a failover cannot erase a
 * session the user was given or bring back one they ended.
 *
 * WAIT waits for the writes of the connection it is sent on, and node-redis
 * v6 sends a bare `cluster.wait()` to every shard (its command table says
 * all_shards). So the write and its WAIT go out as one pipeline on one
 * connection, routed by the key: `client.multi(key)...execAsPipeline()`.
 * That is one round trip for a standalone client, a Sentinel client (one
 * leased connection to the primary) and a Cluster (the key's primary).
 */
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";

export interface RedisDurabilityOptions {
  /**
   * How many replicas must have a login, logout or revoke before it is
   * acknowledged (`WAIT`'s numreplicas). With fewer connected replicas
   * than this, those writes fail with `SessionStoreUnavailableError`.
   */
  replicas: number;
  /**
   * How long to wait for them, in milliseconds (`WAIT`'s timeout). It
   * must be below the store's `timeout`.
   * @default half the store's `timeout`
   */
  timeout?: number;
}

export interface RedisDurability {
  readonly replicas: number;
  readonly timeout: number;
}

/** The commands a session write uses, on a client or on a pipeline of it. */
export interface RedisWriteTarget {
  set(key: string, value: string, options: { PX: number; NX?: true; XX?: true }): unknown;
  del(key: string): unknown;
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): unknown;
  eval(script: string, options: { keys: string[]; arguments: string[] }): unknown;
}

/** A node-redis pipeline (`client.multi()`), as far as a durable write uses it. */
export interface RedisPipelineLike extends RedisWriteTarget {
  wait(replicas: number, timeout: number): unknown;
  execAsPipeline(): Promise<unknown[]>;
}

/** The part of a client a durable write needs: `multi(routingKey)`, which a Cluster routes by that key. */
export interface RedisMultiCapable {
  multi(routingKey?: string): unknown;
}

export function durabilityOf(options: RedisDurabilityOptions | undefined, storeTimeout: number): RedisDurability | undefined {
  if (options === undefined) return undefined;
  const { replicas } = options;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new SessionSetupError("RedisSessionStore `durability.replicas` must be a whole number of replicas, 1 or more.");
  }
  const timeout = options.timeout ?? Math.floor(storeTimeout / 2);
  // WAIT 0 would block forever; a wait as long as the store's timeout would turn every short wait into a timeout.
  if (!Number.isInteger(timeout) || timeout < 1 || timeout >= storeTimeout) {
    throw new SessionSetupError(
      `RedisSessionStore \`durability.timeout\` must be a whole number of milliseconds from 1 to below the store's \`timeout\` (${storeTimeout}).`,
    );
  }
  return { replicas, timeout };
}

/**
 * Runs `write` on `client`; with `durability`, runs it followed by WAIT as
 * one pipeline and throws `SessionStoreUnavailableError` when fewer
 * replicas than required confirm within the wait. Returns the reply of the
 * write. The write itself is not undone by a short wait (Redis cannot), so
 * a login is not acknowledged and a logout answers an error while still
 * clearing the cookie.
 */
export async function writeDurably(
  client: RedisWriteTarget & Partial<RedisMultiCapable>,
  key: string,
  write: (target: RedisWriteTarget) => unknown,
  durability: RedisDurability | undefined,
): Promise<unknown> {
  if (durability === undefined) return write(client);
  if (typeof client.multi !== "function") {
    throw new SessionSetupError(
      "RedisSessionStore `durability` needs a node-redis client, cluster or sentinel with multi() (node-redis v4 or later).",
    );
  }
  const pipeline = client.multi(key) as RedisPipelineLike;
  write(pipeline);
  pipeline.wait(durability.replicas, durability.timeout);
  // node-redis rejects a pipeline with any error reply in it, and keeps every reply on the rejection.
  const replies = await pipeline.execAsPipeline().catch((error: unknown) => {
    const partial = (error as { replies?: unknown } | null)?.replies;
    if (Array.isArray(partial)) return partial as unknown[];
    throw error;
  });
  // The write's own error (NOSCRIPT, WRONGTYPE...), as the caller would get it without durability.
  if (replies[0] instanceof Error) throw replies[0];
  if (replies[1] instanceof Error) {
    throw new SessionStoreUnavailableError(
      `Redis applied a session write but refused the WAIT that \`durability\` adds (${replies[1].message}), so it was not acknowledged. ` +
        "Is the client talking to a replica? Retry later.",
      { cause: replies[1] },
    );
  }
  const confirmed = Number(replies[1]);
  if (!(confirmed >= durability.replicas)) {
    throw new SessionStoreUnavailableError(
      `Redis applied a session write but only ${confirmed} of the ${durability.replicas} replicas required by \`durability\` ` +
        `confirmed it within ${durability.timeout} ms, so it was not acknowledged: a failover now could undo it. ` +
        "Check the replicas (INFO replication on the primary); retry later.",
    );
  }
  return replies[0];
}
