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

const COUNTED = new Set(["get", "set", "del", "getDel", "getdel", "sendCommand", "exec", "evalSha", "eval", "mGet", "zRange", "execAsPipeline"]);
const VIEWS = new Set(["withCommandOptions", "withTypeMapping"]);

/** `client` with every command counted; anything else (isOpen, connect, on, ...) passes through. */
export function countingRedis<Client extends object>(client: Client): { client: Client; counter: RedisCounter } {
  const counter: RedisCounter = {
    commands: 0,
    roundTrips: 0,
    reset() {
      counter.commands = 0;
      counter.roundTrips = 0;
    },
  };
  return { client: counting(client, counter, { inFlight: 0 }), counter };
}

function counting<Client extends object>(client: Client, counter: RedisCounter, flight: { inFlight: number }): Client {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof property !== "string" || typeof value !== "function") return value;
      // A view of the client with other command options (ours turns node-redis's per-command timer off) is counted too.
      if (VIEWS.has(property)) return (...args: unknown[]) => counting(value.apply(target, args) as object, counter, flight);
      if (!COUNTED.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        counter.commands++;
        if (flight.inFlight === 0) counter.roundTrips++;
        flight.inFlight++;
        const done = () => {
          flight.inFlight--;
        };
        const reply = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        reply.then(done, done);
        return reply;
      };
    },
  });
}
