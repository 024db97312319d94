/**
 * What RedisSessionStore's `durability` costs, measured: a primary with
 * one replica on loopback; one node-redis client reaches the primary
 * through a proxy that counts round trips. Each store call is timed with
 * durability off and on, interleaved in rounds, and the figures are ratios
 * of on to off from the same run. Reads and updates, which never wait, are
 * the control. bench/run-durability.ts is the command line.
 */
import type { RequestContext } from "@hattip/compose";
import { RedisSessionStore } from "hattip-session";
import { createClient } from "redis";
import { startReplicatedRedis } from "../packages/session/test/support/redis-replicas.js";
import type { Environment } from "./environment.js";
import { startRoundTripProxy } from "./round-trip-proxy.js";

export interface DurabilityOptions {
  rounds: number;
  /** Calls per operation, mode and round. */
  perRound: number;
}

export const WAIT_TIMEOUT_MS = 1000;

type Store = RedisSessionStore<Record<string, unknown>>;
type Mode = "off" | "on";

interface Operation {
  name: string;
  /** Untimed: what the timed step needs (a live session, usually). */
  prepare(store: Store): Promise<string | undefined>;
  run(store: Store, id: string | undefined): Promise<unknown>;
}

const ctx = {} as RequestContext;
const record = () => {
  const now = Date.now();
  return { data: { user: "ada", roles: ["admin"], theme: "dark" }, createdAt: now, expiresAt: now + 3_600_000 };
};
const live = async (store: Store) => store.createRecord(record(), ctx);

const operations: Operation[] = [
  { name: "new session (SET NX)", prepare: async () => undefined, run: (store) => store.createRecord(record(), ctx) },
  { name: "login: regenerate (DEL + SET NX)", prepare: live, run: (store, id) => store.rotateRecord(id!, record(), ctx) },
  { name: "logout (DEL)", prepare: live, run: (store, id) => store.destroyRecord(id!, ctx) },
  { name: "update (SET XX), control", prepare: live, run: (store, id) => store.updateRecord(id!, record(), ctx) },
  { name: "read (GET), control", prepare: live, run: async (store, id) => store.loadEntry(id!, ctx) },
];

export interface Row {
  operation: string;
  roundTrips: Record<Mode, number>;
  medianMicroseconds: Record<Mode, number>;
  p99Microseconds: Record<Mode, number>;
  /** Median latency with durability on over the same with it off. */
  medianRatio: number;
}

export async function measureDurability({ rounds, perRound }: DurabilityOptions, log: (line: string) => void = () => {}): Promise<Row[]> {
  const redis = await startReplicatedRedis(1);
  const proxy = await startRoundTripProxy({ host: "127.0.0.1", port: redis.primary.port });
  const client = createClient({ url: proxy.url });
  const rows: Row[] = [];
  try {
    const stores: Record<Mode, Store> = {
      off: new RedisSessionStore({ getClient: () => client }),
      on: new RedisSessionStore({ getClient: () => client, durability: { replicas: 1, timeout: WAIT_TIMEOUT_MS } }),
    };
    // Connects the client (its handshake is not a store call) before anything is counted.
    await live(stores.off);
    for (const operation of operations) {
      const samples: Record<Mode, number[]> = { off: [], on: [] };
      const trips: Record<Mode, number> = { off: 0, on: 0 };
      for (let round = 0; round < rounds; round++) {
        // Alternate which mode goes first, so that drift in the machine's load falls on both.
        const order: Mode[] = round % 2 === 0 ? ["off", "on"] : ["on", "off"];
        for (const mode of order) {
          for (let i = 0; i < perRound; i++) {
            const id = await operation.prepare(stores[mode]);
            proxy.reset();
            const started = performance.now();
            await operation.run(stores[mode], id);
            samples[mode].push((performance.now() - started) * 1000);
            trips[mode] += proxy.roundTrips();
          }
        }
      }
      const count = rounds * perRound;
      const row: Row = {
        operation: operation.name,
        roundTrips: { off: trips.off / count, on: trips.on / count },
        medianMicroseconds: { off: percentile(samples.off, 0.5), on: percentile(samples.on, 0.5) },
        p99Microseconds: { off: percentile(samples.off, 0.99), on: percentile(samples.on, 0.99) },
        medianRatio: percentile(samples.on, 0.5) / percentile(samples.off, 0.5),
      };
      rows.push(row);
      log(
        `${row.operation.padEnd(34)} round trips ${row.roundTrips.off.toFixed(2)} -> ${row.roundTrips.on.toFixed(2)}  ` +
          `median ${Math.round(row.medianMicroseconds.off)} -> ${Math.round(row.medianMicroseconds.on)} µs (x${row.medianRatio.toFixed(2)})  ` +
          `p99 ${Math.round(row.p99Microseconds.off)} -> ${Math.round(row.p99Microseconds.on)} µs`,
      );
    }
  } finally {
    client.destroy();
    await proxy.close();
    await redis.stop();
  }
  return rows;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export function renderDurability(env: Environment, { rounds, perRound }: DurabilityOptions, table: Row[]): string {
  const lines = [
    "# The cost of RedisSessionStore's `durability`",
    "",
    "Written by `npm run bench:durability` (bench/durability.ts); raw numbers in `bench/durability.json`.",
    "",
    `Machine: ${env.cpus} CPUs (${env.cpuModel}), load average ${env.loadAverage1mAtStart.toFixed(2)} at the start (shared with other work), ` +
      `Node ${env.node}, redis ${env.packages.redis}, redis-server ${env.packages["redis-server"]}. ` +
      `A primary and one replica on loopback; one node-redis client through a round-trip-counting proxy; ` +
      `\`durability: { replicas: 1, timeout: ${WAIT_TIMEOUT_MS} }\`. ${rounds} rounds of ${perRound} calls per operation and mode, ` +
      "the modes interleaved; each call runs alone (a live session made beforehand, untimed).",
    "",
    "| Store call | Round trips off | on | Median µs off | on | on / off | p99 µs off | on |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...table.map(
      (row) =>
        `| ${row.operation} | ${row.roundTrips.off.toFixed(2)} | ${row.roundTrips.on.toFixed(2)} | ${Math.round(row.medianMicroseconds.off)} | ` +
        `${Math.round(row.medianMicroseconds.on)} | ${row.medianRatio.toFixed(2)} | ${Math.round(row.p99Microseconds.off)} | ${Math.round(row.p99Microseconds.on)} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
