/**
 * RedisSessionStore's hold on its client: a client of the right kind
 * (node-redis 4 or later, not the v3 callback client), connected, listened
 * to (node-redis ends the process on an 'error' event no one hears), and
 * every command bounded by the store's `timeout`. A client that is
 * reconnecting fails a request at once rather than parking it in
 * node-redis's offline queue; one that node-redis closed for good is
 * opened again. What a request cannot get from Redis in time is a
 * `SessionStoreUnavailableError` (answer 503), never a hang.
 *
 * The state is kept per client, not per store: stores that share a client
 * share its one connection attempt.
 */
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import { DeadlineExceeded, describeFailure, withDeadline } from "./deadline.js";
import type { RedisMultiCapable } from "./redis-durability.js";

/**
 * The part of a node-redis client, cluster or Sentinel client the store
 * uses. Clients from `redis` (v4, v5, v6), `createCluster` and
 * `createSentinel` fit as they are.
 */
export interface RedisClientLike extends Partial<RedisMultiCapable> {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { PX: number; NX?: true; XX?: true }): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** Reads a user's index (a sorted set), a plain read: listing writes nothing. */
  zRange(key: string, start: number, stop: number): Promise<unknown[]>;
  /** Reads a user's sessions at once (keys of one slot). */
  mGet(keys: string[]): Promise<unknown[]>;
  /** Runs a cached script: how a bound session and its user's index are written together. */
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** Runs (and caches) a script, when `evalSha` finds it missing. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  on(event: "error", listener: (error: unknown) => void): unknown;
  listenerCount(event: "error"): number;
}

interface Connecting {
  promise: Promise<void>;
  startedAt: number;
}

const connecting = new WeakMap<RedisClientLike, Connecting>();
const watched = new WeakSet<RedisClientLike>();
const lastErrors = new WeakMap<RedisClientLike, unknown>();

/**
 * `client`, connected: at once when it is ready (no promise, no tick). The
 * first connection gets `timeout` ms in all, shared by the requests that
 * wait for it, not `timeout` each.
 */
export function connected(client: RedisClientLike, timeout: number): RedisClientLike | Promise<RedisClientLike> {
  assertModernClient(client);
  watchErrors(client);
  if (client.isReady) return client;
  return connect(client, timeout);
}

async function connect(client: RedisClientLike, timeout: number): Promise<RedisClientLike> {
  // Also reopens a client that node-redis closed for good (its reconnect strategy gave up).
  if (!client.isOpen && !connecting.has(client)) {
    const promise = client.connect().then(
      () => void connecting.delete(client),
      (error: unknown) => {
        connecting.delete(client);
        lastErrors.set(client, error);
      },
    );
    connecting.set(client, { promise, startedAt: Date.now() });
  }
  const pending = connecting.get(client);
  const remaining = pending ? pending.startedAt + timeout - Date.now() : 0;
  if (pending && remaining > 0) await withDeadline(pending.promise, remaining).catch(() => undefined);
  if (!client.isReady) throw unavailable(client, "is not connected");
  return client;
}

/**
 * The reply to `command`, or a `SessionStoreUnavailableError` when Redis
 * fails it or does not answer within `timeout`. A WRONGTYPE error passes
 * through as it is: what it means depends on the key (a corrupted session,
 * or an index something else wrote).
 */
export function redisReply<T>(client: RedisClientLike, command: Promise<T>, timeout: number): Promise<T> {
  return withDeadline(command, timeout).catch((error: unknown) => {
    if (error instanceof DeadlineExceeded) throw unavailable(client, `did not answer within ${timeout} ms`);
    if (isWrongType(error)) throw error;
    throw new SessionStoreUnavailableError(`Redis failed a session command: ${describeFailure(error)}`, { cause: error });
  });
}

export function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("WRONGTYPE");
}

/**
 * node-redis v3 (callbacks) and other clients fail deep inside a command
 * with "client.connect is not a function" or a wrong reply: name the fix.
 */
function assertModernClient(client: RedisClientLike): void {
  const candidate = client as Partial<RedisClientLike> | null;
  if (candidate && typeof candidate.connect === "function" && typeof candidate.isReady === "boolean" && typeof candidate.isOpen === "boolean") return;
  throw new SessionSetupError(
    "RedisSessionStore needs a node-redis v4 or later client (createClient, createCluster or createSentinel from the `redis` package). " +
      "This one looks like a node-redis v3 callback client or another library's: run `npm install redis@latest` and pass " +
      "`getClient: () => client` with `const client = createClient({ url: process.env.REDIS_URL })` created once.",
  );
}

/** node-redis throws an unhandled 'error' event (and so ends the process) when no one listens: listen. */
function watchErrors(client: RedisClientLike): void {
  if (watched.has(client)) return;
  watched.add(client);
  if (client.listenerCount("error") === 0) client.on("error", (error) => lastErrors.set(client, error));
}

function unavailable(client: RedisClientLike, what: string): SessionStoreUnavailableError {
  const cause = lastErrors.get(client);
  const because = cause === undefined ? "" : ` (last error: ${describeFailure(cause)})`;
  return new SessionStoreUnavailableError(`Redis ${what}${because}. The session is intact; retry later.`, { cause });
}
