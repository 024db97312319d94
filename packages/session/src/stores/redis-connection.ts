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
import { describeFailure, withDeadline } from "./deadline.js";
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
/** Each client checked and listened to, with the view of it the store's commands go through. */
const commandViews = new WeakMap<RedisClientLike, RedisClientLike>();
/** The client each view was made of: its errors are heard, and remembered, on the client itself. */
const clientOfView = new WeakMap<RedisClientLike, RedisClientLike>();
const lastErrors = new WeakMap<RedisClientLike, unknown>();

/**
 * `client`, connected, as the view the store sends its commands through
 * (`commandView`): at once when it is ready (no promise, no tick). A client
 * is checked and listened to once, on first use. The first connection gets
 * `timeout` ms in all, shared by the requests that wait for it, not
 * `timeout` each.
 */
export function connected(client: RedisClientLike, timeout: number): RedisClientLike | Promise<RedisClientLike> {
  let view = commandViews.get(client);
  if (view === undefined) {
    assertModernClient(client);
    watchErrors(client);
    view = commandView(client);
    commandViews.set(client, view);
  }
  if (client.isReady) return view;
  const ready = view;
  return connect(client, timeout).then(() => ready);
}

/**
 * The client with node-redis's own per-command timer off. node-redis 5.x
 * and later start an `AbortSignal.timeout` for every command (5 s unless
 * `commandOptions.timeout` says otherwise): about 20 µs of CPU a command,
 * as much as the rest of a GET. The store bounds each of its commands
 * itself (`CommandDeadlines`, one timer for all of them), so the second
 * timer only costs. Other commands of the app keep the client's settings;
 * a client without `withCommandOptions` (node-redis 4) has no such timer.
 */
function commandView(client: RedisClientLike): RedisClientLike {
  const withCommandOptions = (client as { withCommandOptions?: (options: { timeout: number }) => unknown }).withCommandOptions;
  if (typeof withCommandOptions !== "function") return client;
  const view = withCommandOptions.call(client, { timeout: 0 }) as Partial<RedisClientLike> | null;
  if (!view || typeof view.get !== "function" || typeof view.set !== "function") return client;
  clientOfView.set(view as RedisClientLike, client);
  return view as RedisClientLike;
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
  if (!client.isReady) throw unavailable(client, "is not connected", "Nothing was sent to it");
  return client;
}

interface Waiting {
  readonly deadline: number;
  readonly client: RedisClientLike;
  readonly reject: (error: unknown) => void;
}

/**
 * The deadline of every command a store sends: its reply, or a
 * `SessionStoreUnavailableError` once `timeout` ms have passed. One timer
 * serves them all. Every command waits the same `timeout`, so the commands
 * waiting are in deadline order as they were sent (a Set keeps insertion
 * order): the timer is set for the oldest, and when it fires it ends those
 * past their deadline and is set again for the next. Under steady traffic
 * that is one timer per `timeout`, not one per command.
 */
export class CommandDeadlines {
  readonly #waiting = new Set<Waiting>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly timeout: number) {}

  /**
   * The reply to `command`, or a `SessionStoreUnavailableError` when Redis
   * fails it or does not answer in time. A WRONGTYPE error passes through
   * as it is: what it means depends on the key (a corrupted session, or an
   * index something else wrote).
   */
  reply<T>(client: RedisClientLike, command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { deadline: performance.now() + this.timeout, client, reject };
      this.#waiting.add(waiting);
      this.#timer ??= this.#arm(this.timeout);
      command.then(
        (reply) => {
          this.#waiting.delete(waiting);
          resolve(reply);
        },
        (error: unknown) => {
          this.#waiting.delete(waiting);
          reject(
            isWrongType(error)
              ? error
              : new SessionStoreUnavailableError(`Redis failed a session command: ${describeFailure(error)}`, { cause: error }),
          );
        },
      );
    });
  }

  #arm(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.#expire(), ms);
    // A command in flight holds the process open through its socket; the timer alone need not.
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  #expire(): void {
    const now = performance.now();
    this.#timer = undefined;
    for (const waiting of this.#waiting) {
      if (waiting.deadline > now) {
        this.#timer = this.#arm(waiting.deadline - now);
        return;
      }
      this.#waiting.delete(waiting);
      // A command Redis received before the deadline may still run: a read changes nothing, a write may still land.
      waiting.reject(
        unavailable(
          waiting.client,
          `did not answer within ${this.timeout} ms`,
          "A read changed nothing; a write Redis already received may still be applied",
        ),
      );
    }
  }
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
  if (client.listenerCount("error") === 0) client.on("error", (error) => lastErrors.set(client, error));
}

/** `consequence`: what the failed command did or may still do, said as it is for this failure. */
function unavailable(client: RedisClientLike, what: string, consequence: string): SessionStoreUnavailableError {
  const cause = lastErrors.get(clientOfView.get(client) ?? client);
  const because = cause === undefined ? "" : ` (last error: ${describeFailure(cause)})`;
  return new SessionStoreUnavailableError(`Redis ${what}${because}. ${consequence}; retry later.`, { cause });
}
