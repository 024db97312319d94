/**
 * Counts what a request costs in Redis: commands, and round trips. A round
 * trip starts when a command goes out while none is waiting for its reply;
 * commands sent while others are in flight (node-redis pipelines those
 * written in one tick) ride along. Exact when requests run one at a time,
 * as in the in-process benchmark.
 */

/** The node-redis client surface both libraries use (ours directly, @hattip/session through bench/legacy-redis.ts). */
export interface RedisLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: object): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

export interface RedisCounter {
  commands: number;
  roundTrips: number;
  reset(): void;
}

const COUNTED = new Set(["get", "set", "del", "getDel", "getdel", "sendCommand", "exec"]);

/** `client` with every command counted; anything else (isOpen, connect, on, ...) passes through. */
export function countingRedis<Client extends object>(client: Client): { client: Client; counter: RedisCounter } {
  let inFlight = 0;
  const counter: RedisCounter = {
    commands: 0,
    roundTrips: 0,
    reset() {
      counter.commands = 0;
      counter.roundTrips = 0;
    },
  };
  const counted = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof property !== "string" || typeof value !== "function") return value;
      if (!COUNTED.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        counter.commands++;
        if (inFlight === 0) counter.roundTrips++;
        inFlight++;
        const done = () => {
          inFlight--;
        };
        const reply = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        reply.then(done, done);
        return reply;
      };
    },
  });
  return { client: counted, counter };
}
