/**
 * `npm run bench -- capacity`: what a signed-in user costs each server
 * store, measured on servers this run starts (never the machine's own
 * Redis on 6379, never another database than its own):
 *
 * - bytes per signed-in user with the user index: Redis (`MEMORY USAGE`
 *   of the session and of its user's index, and `used_memory` grown per
 *   user), PostgreSQL (table, index and TOAST bytes per row after
 *   `VACUUM`), Durable Objects (the objects' SQLite files in workerd) and
 *   Netlify Blobs (the bytes its local server stores);
 * - backend commands and round trips per request for read, write, login,
 *   logout, list and revoke, counted through the real middleware;
 * - throughput: our Redis commands against `redis-benchmark`'s own GET/SET
 *   on the same server in the same run, and our PostgreSQL read and write
 *   against pgbench's bare primary-key SELECT (`-S`).
 *
 * bench/capacity-report.ts turns these into CAPACITY.md and its sizing table.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  DurableObjectSessionStore,
  NetlifyBlobsSessionStore,
  PostgresSessionStore,
  RedisSessionStore,
  type DurableObjectNamespaceLike,
  type NetlifyBlobStoreLike,
  type PostgresClientLike,
  type RedisClientLike,
} from "hattip-session";
import pg from "pg";
import { createClient } from "redis";
import { startLocalBlobs } from "../packages/session/test/support/blobs-server.js";
import { createTestDatabase } from "../packages/session/test/support/postgres.js";
import { startRedis, type RedisServer } from "../packages/session/test/support/redis-server.js";
import { DESTROY_BOUND, READ_BOUND, WRITE_BOUND } from "../packages/session/dist/stores/redis-user-scripts.js";
import { countOperations, sessionApp, signInUsers, type BackendCounter, type OperationCost } from "./capacity-flows.js";
import { countingRedis } from "./round-trips.js";
import { startWorker } from "./workers.js";
import { BENCH_KEYS, typicalSession } from "./fixtures.js";
import { median } from "./summary.js";

const run = promisify(execFile);
const userTagSecret = BENCH_KEYS.userTag;

export interface CapacityOptions {
  /** Users signed in for the byte counts of Redis and PostgreSQL. */
  users: number;
  /** Users (each an object of its own) for Durable Objects and Netlify Blobs, slower to fill. */
  edgeUsers: number;
  /** Requests per operation when counting commands. */
  countedRequests: number;
  /** redis-benchmark requests per command. */
  redisRequests: number;
  /** Seconds per pgbench run. */
  pgbenchSeconds: number;
  log?: (line: string) => void;
}

export interface StoreBytes {
  /** Bytes per signed-in user (one session and its index entry). */
  perUser: number;
  /** How they were counted. */
  how: string;
  /** Parts of `perUser`, by name. */
  parts: Record<string, number>;
  users: number;
}

export interface Throughput {
  name: string;
  /** Operations per second the server answered. */
  perSecond: number;
  /** What ran: the command or script. */
  what: string;
}

export interface CapacityResult {
  date: string;
  loadAverage: number[];
  cpus: number;
  versions: Record<string, string>;
  options: Omit<CapacityOptions, "log">;
  redis: { bytes: StoreBytes; anonymousBytes: number; operations: OperationCost[]; throughput: Throughput[]; valueBytes: number };
  postgres: { bytes: StoreBytes; operations: OperationCost[]; throughput: Throughput[]; meanLatencyMs: Record<string, number> };
  durableObjects: { bytes: StoreBytes; operations: OperationCost[] };
  netlifyBlobs: { bytes: StoreBytes; operations: OperationCost[] };
  seconds: number;
}

export async function runCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const { loadavg, availableParallelism } = await import("node:os");
  log("capacity: Redis");
  const redis = await measureRedis(options, log);
  log("capacity: PostgreSQL");
  const postgres = await measurePostgres(options, log);
  log("capacity: Durable Objects (workerd)");
  const durableObjects = await measureDurableObjects(options);
  log("capacity: Netlify Blobs");
  const netlifyBlobs = await measureBlobs(options);
  return {
    date: new Date().toISOString(),
    loadAverage: loadavg(),
    cpus: availableParallelism(),
    versions: await versions(),
    options: { ...options, log: undefined } as Omit<CapacityOptions, "log">,
    redis,
    postgres,
    durableObjects,
    netlifyBlobs,
    seconds: (performance.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------- Redis

async function measureRedis(options: CapacityOptions, log: (line: string) => void): Promise<CapacityResult["redis"]> {
  const server = await startRedis();
  const client = createClient({ url: server.url });
  await client.connect();
  try {
    const counted = countingRedis(client);
    const countedApp = sessionApp(new RedisSessionStore({ userTagSecret, getClient: () => counted.client as unknown as RedisClientLike }));
    const operations = await countOperations(countedApp, counted.counter, options.countedRequests);
    await client.flushAll();

    // Bytes: used_memory grown per signed-in user, and MEMORY USAGE of a sample of sessions and indexes.
    const app = sessionApp(new RedisSessionStore({ userTagSecret, getClient: () => client as unknown as RedisClientLike }));
    const before = await usedMemory(client);
    await signInUsers(app, options.users);
    const grown = (await usedMemory(client)) - before;
    const keys = await client.keys("session:*");
    const indexes = keys.filter((key) => key.endsWith(":sessions"));
    const sessions = keys.filter((key) => !key.endsWith(":sessions"));
    const sample = async (names: string[]) => {
      const chosen = names.slice(0, 200);
      let total = 0;
      for (const key of chosen) total += Number(await client.sendCommand(["MEMORY", "USAGE", key, "SAMPLES", "0"]));
      return total / chosen.length;
    };
    const sessionBytes = await sample(sessions);
    const indexBytes = await sample(indexes);
    const valueBytes = (await client.strLen(sessions[0]!)) as number;
    // An anonymous session (a visitor who never signed in), for comparison.
    await client.set("session:anonymous-probe-0000000000000000000000000000", "x".repeat(Math.max(0, valueBytes - 90)), { PX: 60_000 });
    const anonymousBytes = Number(
      await client.sendCommand(["MEMORY", "USAGE", "session:anonymous-probe-0000000000000000000000000000", "SAMPLES", "0"]),
    );
    log(`  redis: ${sessions.length} sessions, ${indexes.length} indexes, ${Math.round(grown / options.users)} B per user (used_memory)`);
    const throughput = await redisThroughput(server, client, options, valueBytes, log);
    return {
      bytes: {
        perUser: grown / options.users,
        how: "used_memory grown per signed-in user (keys, values, expiry entries and the server's hash tables); parts from MEMORY USAGE",
        parts: { "session key (MEMORY USAGE)": sessionBytes, "user index (MEMORY USAGE)": indexBytes },
        users: options.users,
      },
      anonymousBytes,
      operations,
      throughput,
      valueBytes,
    };
  } finally {
    await client.close();
    await server.stop();
  }
}

async function usedMemory(client: { info(section: string): Promise<string> }): Promise<number> {
  const info = await client.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/**
 * redis-benchmark's GET and SET (its defaults: 3-byte values) against the
 * commands our store sends, with our key length and value size, on the same
 * server, 50 connections: the server's ceiling and our share of it.
 */
async function redisThroughput(
  server: RedisServer,
  client: { sendCommand(args: string[]): Promise<unknown> },
  options: CapacityOptions,
  valueBytes: number,
  log: (line: string) => void,
): Promise<Throughput[]> {
  const keyspace = 100_000;
  // Keys as long as ours: "session:" + a 43-character hash; bound ones carry "{tag}" (16 characters) too.
  const key = `session:${"k".repeat(31)}__rand_int__`;
  const boundKey = `session:{${"t".repeat(16)}}${"k".repeat(31)}__rand_int__`;
  // One user's index for every bound command: its member (the ID hash below) is always there, as it is for a live session.
  const index = `session:{${"t".repeat(16)}}:sessions`;
  const value = "v".repeat(valueBytes);
  const ttl = String(7 * 24 * 3600 * 1000);
  const idHash = "h".repeat(43);
  const writeSha = String(await client.sendCommand(["SCRIPT", "LOAD", WRITE_BOUND.source]));
  const destroySha = String(await client.sendCommand(["SCRIPT", "LOAD", DESTROY_BOUND.source]));
  const readSha = String(await client.sendCommand(["SCRIPT", "LOAD", READ_BOUND.source]));
  const bench = async (name: string, command: string[], requests = Math.ceil(options.redisRequests / 2)): Promise<Throughput> => {
    const args = ["-h", server.host, "-p", String(server.port), "-c", "50", "-n", String(requests), "-r", String(keyspace), "--csv", ...command];
    const { stdout } = await run("redis-benchmark", args, { timeout: 120_000 });
    const rows = stdout.trim().split("\n").slice(1);
    const perSecond = Number(JSON.parse(`[${rows[0]!}]`)[1]);
    log(`  redis-benchmark ${name}: ${Math.round(perSecond)} ops/s`);
    return { name, perSecond, what: command.join(" ").replace(value, `<${valueBytes}-byte record>`) };
  };
  const own = async (test: "get" | "set"): Promise<Throughput> => {
    const { stdout } = await run(
      "redis-benchmark",
      ["-h", server.host, "-p", String(server.port), "-c", "50", "-n", String(options.redisRequests), "-r", String(keyspace), "-t", test, "--csv"],
      { timeout: 120_000 },
    );
    const perSecond = Number(JSON.parse(`[${stdout.trim().split("\n")[1]!}]`)[1]);
    log(`  redis-benchmark ${test.toUpperCase()} (its own): ${Math.round(perSecond)} ops/s`);
    return { name: `redis-benchmark ${test.toUpperCase()}`, perSecond, what: `redis-benchmark -t ${test} (its 3-byte values)` };
  };
  // Fill the keyspace so that every read finds a session and every XX write an existing one.
  await bench("fill", ["SET", key, value, "PX", ttl], keyspace * 2);
  await bench("fill bound", ["EVALSHA", writeSha, "2", boundKey, index, value, ttl, "NX", idHash], keyspace * 2);
  const runs: (() => Promise<Throughput>)[] = [
    () => own("get"),
    () => own("set"),
    () => bench("read, anonymous (GET)", ["GET", key]),
    () => bench("read, signed in (read-bound script)", ["EVALSHA", readSha, "2", boundKey, index, idHash]),
    () => bench("write, anonymous (SET PX XX)", ["SET", key, value, "PX", ttl, "XX"]),
    () => bench("write, signed in (write-bound script, XX)", ["EVALSHA", writeSha, "2", boundKey, index, value, ttl, "XX", idHash]),
    () => bench("login (write-bound script, NX)", ["EVALSHA", writeSha, "2", boundKey, index, value, ttl, "NX", idHash]),
    () => bench("logout (destroy-bound script)", ["EVALSHA", destroySha, "2", boundKey, index, idHash]),
    () => bench("list (ZRANGE of the index)", ["ZRANGE", index, "-100", "-1"]),
  ];
  // Rounds interleave every command, so that a burst of other load on the machine hits them alike; medians over rounds.
  const measured = new Map<string, Throughput[]>();
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const next of runs) {
      const result = await next();
      measured.set(result.name, [...(measured.get(result.name) ?? []), result]);
    }
  }
  return [...measured.values()].map((results) => ({ ...results[0]!, perSecond: median(results.map((result) => result.perSecond)) }));
}

/** Rounds of every throughput measurement (Redis and PostgreSQL), interleaved. */
const THROUGHPUT_ROUNDS = 3;

// ------------------------------------------------------------ PostgreSQL

function countingPool(pool: pg.Pool): { client: PostgresClientLike; counter: BackendCounter } {
  const { counter, track } = roundTripCounter();
  return { counter, client: { query: (text, values) => track(() => pool.query(text, values)) } };
}

async function measurePostgres(options: CapacityOptions, log: (line: string) => void): Promise<CapacityResult["postgres"]> {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  try {
    const counted = countingPool(pool);
    const countedStore = new PostgresSessionStore({ userTagSecret, client: counted.client, table: "counted_sessions" });
    await countedStore.createTable();
    const operations = await countOperations(sessionApp(countedStore), counted.counter, options.countedRequests);

    const store = new PostgresSessionStore({ userTagSecret, client: pool, table: "sessions" });
    await store.createTable();
    await signInUsers(sessionApp(store), options.users);
    await pool.query("VACUUM (ANALYZE) sessions");
    const sizes = (
      await pool.query(
        "SELECT pg_relation_size('sessions') AS heap, pg_indexes_size('sessions') AS indexes, " +
          "pg_total_relation_size('sessions') - pg_relation_size('sessions') - pg_indexes_size('sessions') AS toast, " +
          "(SELECT count(*) FROM sessions) AS rows",
      )
    ).rows[0] as { heap: string; indexes: string; toast: string; rows: string };
    const rows = Number(sizes.rows);
    const part = (bytes: string) => Number(bytes) / rows;
    log(`  postgres: ${rows} rows, ${Math.round((Number(sizes.heap) + Number(sizes.indexes) + Number(sizes.toast)) / rows)} B per row`);
    const { throughput, meanLatencyMs } = await postgresThroughput(database.url, pool, options, log);
    return {
      bytes: {
        perUser: part(sizes.heap) + part(sizes.indexes) + part(sizes.toast),
        how: "pg_total_relation_size of the sessions table (heap, its three indexes, TOAST and the maps VACUUM writes) per row, after VACUUM (ANALYZE)",
        parts: {
          "table (heap)": part(sizes.heap),
          "indexes (id_hash, expires_at, user_hash)": part(sizes.indexes),
          "TOAST, free-space and visibility maps": part(sizes.toast),
        },
        users: rows,
      },
      operations,
      throughput,
      meanLatencyMs,
    };
  } finally {
    await pool.end();
    await database.drop();
  }
}

/**
 * pgbench, 8 clients on 2 threads, prepared statements: its own bare
 * primary-key SELECT (`-S` on pgbench_accounts, 100,000 rows) against our
 * read and our write, on 100,000 sessions of our table with our record size.
 */
async function postgresThroughput(
  url: string,
  pool: pg.Pool,
  options: CapacityOptions,
  log: (line: string) => void,
): Promise<{ throughput: Throughput[]; meanLatencyMs: Record<string, number> }> {
  const record = `3.${(1700000000000).toString(36)}.${(4102444800000).toString(36)}.0.${JSON.stringify(typicalSession())}`;
  await pool.query("CREATE TABLE bench_sessions (LIKE sessions INCLUDING ALL)");
  await pool.query(
    "INSERT INTO bench_sessions (id_hash, record, expires_at, user_hash, handle) " +
      "SELECT lpad(n::text, 43, 'x'), $1, 4102444800000, lpad((n % 50000)::text, 43, 'u'), lpad(n::text, 22, 'h') FROM generate_series(1, 100000) AS n",
    [record],
  );
  await pool.query("VACUUM (ANALYZE) bench_sessions");
  await run("pgbench", ["-i", "-s", "1", "-q", "-n", url], { timeout: 120_000 });
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-pgbench-"));
  const throughput: Throughput[] = [];
  const meanLatencyMs: Record<string, number> = {};
  try {
    const measured = new Map<string, { perSecond: number[]; latency: number[]; what: string }>();
    const bench = async (name: string, args: string[], what: string) => {
      const { stdout } = await run("pgbench", ["-n", "-c", "8", "-j", "2", "-M", "prepared", "-T", String(options.pgbenchSeconds), ...args, url], {
        timeout: (options.pgbenchSeconds + 60) * 1000,
      });
      const entry = measured.get(name) ?? { perSecond: [], latency: [], what };
      entry.perSecond.push(Number(/tps = ([\d.]+)/.exec(stdout)?.[1]));
      entry.latency.push(Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]));
      measured.set(name, entry);
      log(`  pgbench ${name}: ${Math.round(entry.perSecond.at(-1)!)} tps`);
    };
    const script = async (name: string, body: string) => {
      const file = join(dir, `${name}.sql`);
      await writeFile(file, `\\set n random(1, 100000)\n${body}\n`);
      return file;
    };
    const read = "SELECT record FROM bench_sessions WHERE id_hash = lpad(:n::text, 43, 'x') AND expires_at > 1700000000000;";
    const write =
      `UPDATE bench_sessions SET record = '${record.replaceAll("'", "''")}', expires_at = 4102444800000, user_hash = lpad((:n % 50000)::text, 43, 'u'), ` +
      "handle = lpad(:n::text, 22, 'h') WHERE id_hash = lpad(:n::text, 43, 'x') AND expires_at > 1700000000000;";
    const selectFile = await script("read", read);
    const updateFile = await script("write", write);
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      await bench("bare primary-key SELECT (pgbench -S)", ["-S"], "SELECT abalance FROM pgbench_accounts WHERE aid = :aid");
      await bench("read (our SELECT)", ["-f", selectFile], read);
      await bench(
        "write (our UPDATE)",
        ["-f", updateFile],
        "UPDATE ... SET record, expires_at, user_hash, handle WHERE id_hash = $1 AND expires_at > $2",
      );
    }
    for (const [name, entry] of measured) {
      throughput.push({ name, perSecond: median(entry.perSecond), what: entry.what });
      meanLatencyMs[name] = median(entry.latency);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { throughput, meanLatencyMs };
}

// ------------------------------------------------------- Durable Objects

const DO_WORKER = fileURLToPath(new URL("./capacity-worker.ts", import.meta.url));

function countingNamespace(namespace: DurableObjectNamespaceLike): { namespace: DurableObjectNamespaceLike; counter: BackendCounter } {
  const { counter, track } = roundTripCounter();
  return {
    counter,
    namespace: {
      idFromName: (name) => namespace.idFromName(name),
      get: (id) => {
        const stub = namespace.get(id);
        return { fetch: (url, init) => track(() => stub.fetch(url, init)) };
      },
    },
  };
}

async function measureDurableObjects(options: CapacityOptions): Promise<CapacityResult["durableObjects"]> {
  const worker = await startWorker(DO_WORKER, (dir) => ({
    durableObjects: { SESSIONS: { className: "SessionDurableObject", useSQLite: true } },
    durableObjectsPersist: join(dir, "objects"),
  }));
  const persist = join(worker.dir, "objects");
  try {
    const binding = (await worker.mf.getDurableObjectNamespace("SESSIONS")) as unknown as DurableObjectNamespaceLike;
    const counted = countingNamespace(binding);
    const operations = await countOperations(
      sessionApp(new DurableObjectSessionStore({ userTagSecret, getNamespace: () => counted.namespace })),
      counted.counter,
      Math.min(options.countedRequests, 20),
    );
    const before = await folderBytes(persist, ".sqlite");
    await signInUsers(sessionApp(new DurableObjectSessionStore({ userTagSecret, getNamespace: () => binding })), options.edgeUsers, "object-user");
    // Disposing flushes every object's database to its file.
    await worker.stop();
    const files = await folderBytes(persist, ".sqlite");
    const grown = files.bytes - before.bytes;
    return {
      bytes: {
        perUser: grown / options.edgeUsers,
        how: "SQLite files of the Durable Objects in workerd's storage folder, grown per signed-in user (one object per user)",
        parts: { "SQLite file per object": grown / Math.max(1, files.count - before.count) },
        users: options.edgeUsers,
      },
      operations,
    };
  } finally {
    await worker.dispose();
  }
}

async function folderBytes(folder: string, suffix: string): Promise<{ bytes: number; count: number }> {
  let bytes = 0;
  let count = 0;
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith(suffix) || entry.name.endsWith(`${suffix}-wal`)) {
        bytes += (await stat(path)).size;
        if (entry.name.endsWith(suffix)) count++;
      }
    }
  };
  await walk(folder);
  return { bytes, count };
}

// --------------------------------------------------------- Netlify Blobs

function countingBlobs(store: NetlifyBlobStoreLike): { store: NetlifyBlobStoreLike; counter: BackendCounter } {
  const { counter, track } = roundTripCounter();
  return {
    counter,
    store: {
      getWithMetadata: (key, options) => track(() => store.getWithMetadata(key, options)),
      getMetadata: (key, options) => track(() => store.getMetadata(key, options)),
      set: (key, value, options) => track(() => store.set(key, value, options)),
      delete: (key) => track(() => store.delete(key)),
      list: (options) => track(() => store.list(options)),
    },
  };
}

/** Counts calls, and round trips: a round trip starts when a call goes out while none is in flight. */
function roundTripCounter(): { counter: BackendCounter; track<T>(call: () => Promise<T>): Promise<T> } {
  const counter = { commands: 0, roundTrips: 0, reset: () => ((counter.commands = 0), (counter.roundTrips = 0)) };
  let inFlight = 0;
  return {
    counter,
    async track(call) {
      counter.commands++;
      if (inFlight++ === 0) counter.roundTrips++;
      try {
        return await call();
      } finally {
        inFlight--;
      }
    },
  };
}

async function measureBlobs(options: CapacityOptions): Promise<CapacityResult["netlifyBlobs"]> {
  const local = await startLocalBlobs();
  try {
    const counted = countingBlobs(local.store("counted") as unknown as NetlifyBlobStoreLike);
    const operations = await countOperations(
      sessionApp(new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => counted.store })),
      counted.counter,
      Math.min(options.countedRequests, 20),
    );
    const blobs = local.store("sessions") as unknown as NetlifyBlobStoreLike & {
      getWithMetadata(key: string): Promise<{ data: string; metadata: unknown } | null>;
    };
    await signInUsers(sessionApp(new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => blobs })), options.edgeUsers, "blob-user");
    const { blobs: listed } = await blobs.list({ prefix: "" });
    let bytes = 0;
    let sessions = 0;
    for (const { key } of listed) {
      const entry = await blobs.getWithMetadata(key);
      if (!entry) continue;
      bytes += new TextEncoder().encode(entry.data).length + new TextEncoder().encode(JSON.stringify(entry.metadata ?? {})).length + key.length;
      if (entry.data.length > 0) sessions++;
    }
    return {
      bytes: {
        perUser: bytes / options.edgeUsers,
        how: "every blob the store keeps (key, value and metadata bytes), listed from Netlify's own local Blobs server, per signed-in user",
        parts: { blobs: listed.length / options.edgeUsers, "blobs holding a value": sessions / options.edgeUsers },
        users: options.edgeUsers,
      },
      operations,
    };
  } finally {
    await local.destroy();
  }
}

async function versions(): Promise<Record<string, string>> {
  const version = async (command: string, args: string[], pattern: RegExp) => {
    try {
      const { stdout } = await run(command, args, { timeout: 10_000 });
      return pattern.exec(stdout)?.[1] ?? stdout.trim();
    } catch {
      return "unknown";
    }
  };
  return {
    "redis-server": await version("redis-server", ["--version"], /v=(\S+)/),
    pgbench: await version("pgbench", ["--version"], /(\d+(?:\.\d+)*)/),
    node: process.version,
  };
}
