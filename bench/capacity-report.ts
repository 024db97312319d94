/**
 * bench/CAPACITY.md from a capacity run (bench/capacity.ts): the measured
 * tables first, then the sizing table, every figure marked as measured here
 * or extrapolated from them under the assumptions listed with it.
 */
import type { Operation, OperationCost } from "./capacity-flows.js";
import type { CapacityResult, Throughput } from "./capacity.js";

/** What a busy app's requests are, for the sizing (an assumption, stated in the report). */
export const REQUEST_MIX: Record<Operation, number> = { read: 0.9, write: 0.08, login: 0.01, logout: 0.01, list: 0, revoke: 0 };
export const USER_COUNTS = [1_000_000, 10_000_000, 100_000_000] as const;
export const REQUEST_RATES = [10_000, 100_000, 1_000_000] as const;

/** Assumptions of the extrapolation, each named in the report. */
export const ASSUMPTIONS = {
  /** Memory a Redis shard may fill with data: a 32 GiB node, leaving room for fork-based persistence and fragmentation. */
  redisShardBytes: 24 * 2 ** 30,
  /** Replicas per Redis primary (one, for failover). */
  redisReplicas: 1,
  /** GET/SET a Redis primary answers per second on a dedicated core, without pipelining. */
  redisShardGetSetPerSecond: 100_000,
  /** Share of a shard's (or instance's) capacity the plan fills, leaving headroom for peaks and failover. */
  utilisation: 0.5,
  /** Redis Cluster's practical ceiling of primaries (the specification's suggested limit). */
  redisMaxPrimaries: 1_000,
  /** PostgreSQL: table bloat between vacuums on top of the measured bytes. */
  postgresBloat: 1.3,
  /** PostgreSQL: cores of the largest single primary considered. */
  postgresMaxCores: 96,
  /** PostgreSQL: connections a primary handles well before a pooler (PgBouncer) is needed in front. */
  postgresDirectConnections: 300,
} as const;

const integer = (value: number) => Math.round(value).toLocaleString("en-US");
const decimal = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const bytes = (value: number) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let at = 0;
  let scaled = value;
  while (scaled >= 1024 && at < units.length - 1) {
    scaled /= 1024;
    at++;
  }
  return `${scaled.toFixed(at === 0 ? 0 : 1)} ${units[at]}`;
};
const find = (list: readonly Throughput[], name: string) => list.find((entry) => entry.name.startsWith(name))?.perSecond ?? Number.NaN;
const costOf = (list: readonly OperationCost[], operation: Operation) => list.find((entry) => entry.operation === operation);

/** The Redis cost of a request of each operation, in "GETs" (how many of the server's own GETs it takes the time of). */
export function redisGetEquivalents(result: CapacityResult): Record<Operation, number> {
  const t = result.redis.throughput;
  const ceiling = find(t, "redis-benchmark GET");
  const per = (name: string) => ceiling / find(t, name);
  const read = per("read, signed in");
  return {
    // As counted: a signed-in user's read is one read-bound script; a write, a login and a logout load first, then run their script;
    // a list loads, reads the index and MGETs the sessions; a revoke loads, then reads the index and ends one session.
    read,
    write: read + per("write, signed in"),
    login: per("read, anonymous") + per("login"),
    logout: read + per("logout"),
    list: read + per("list") + per("read, anonymous"),
    revoke: read + per("list") + per("logout"),
  };
}

export function renderCapacity(result: CapacityResult): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  const { redis, postgres, durableObjects, netlifyBlobs } = result;
  const mixCommands = (operations: readonly OperationCost[]) =>
    Object.entries(REQUEST_MIX).reduce(
      (sum, [operation, share]) => sum + share * (costOf(operations, operation as Operation)?.commandsPerRequest ?? 0),
      0,
    );
  const getEquivalents = redisGetEquivalents(result);
  const redisMixGets = Object.entries(REQUEST_MIX).reduce((sum, [operation, share]) => sum + share * getEquivalents[operation as Operation], 0);
  const redisCeiling = find(redis.throughput, "redis-benchmark GET");
  const redisMixRequests = redisCeiling / redisMixGets;

  push(
    "# Capacity plan",
    "",
    "Written by `npm run bench -- capacity` (bench/capacity.ts, bench/capacity-report.ts); raw figures in `bench/capacity.json`. " +
      "Every server here was started by the run (a redis-server on a free port, a PostgreSQL database of its own, workerd through Miniflare, " +
      "Netlify's local Blobs server) and removed after it.",
    "",
    `- Date: ${result.date}; ${result.cpus} CPUs; load average ${result.loadAverage.map((value) => value.toFixed(2)).join(", ")} (1, 5, 15 min) at the end of the run, ` +
      "on a machine shared with other test runs: absolute rates are low and noisy, ratios within the run hold up better.",
    `- ${Object.entries(result.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}; the run took ${Math.round(result.seconds)} s.`,
    "",
    "**Measured** figures come from this run. **Extrapolated** ones combine them with the assumptions listed under the sizing table; they are marked so.",
    "",
    "## Bytes per signed-in user (measured)",
    "",
    "One user signed in on one device: their session and their entry in the user index.",
    "",
    "| Store | Bytes per user | Users measured | How | Parts |",
    "| --- | ---: | ---: | --- | --- |",
    ...(
      [
        ["Redis", redis.bytes],
        ["PostgreSQL", postgres.bytes],
        ["Durable Objects (SQLite in workerd)", durableObjects.bytes],
        ["Netlify Blobs", netlifyBlobs.bytes],
      ] as const
    ).map(
      ([name, measured]) =>
        `| ${name} | ${integer(measured.perUser)} | ${integer(measured.users)} | ${measured.how} | ${Object.entries(measured.parts)
          .map(([part, value]) => `${part}: ${decimal(value, part.startsWith("blobs") ? 2 : 0)}`)
          .join("; ")} |`,
    ),
    "",
    `The Redis session value is ${redis.valueBytes} bytes of record text (the typical ~200-byte session, its timestamps and the user binding); ` +
      `an anonymous session of the same size takes ${integer(redis.anonymousBytes)} bytes (MEMORY USAGE). ` +
      "A Durable Object is a SQLite database of its own, so its floor is SQLite's pages, not the row.",
    "",
    "## Backend commands and round trips per request (measured)",
    "",
    "Counted through the real middleware and store, one request at a time, by wrapping each store's client: a round trip starts when a command goes out while none is in flight. " +
      "`read` and `write` are a signed-in user's; `login` binds a visitor's session to a user (a new ID); `list` shows a user's devices; `revoke` ends one of them; `logout` ends the current one. " +
      "Each figure includes the load of the session at the start of the request.",
    "",
    "| Operation | Redis commands | Redis round trips | PostgreSQL queries | PostgreSQL round trips | Durable Object calls | Durable Object round trips | Netlify Blobs calls | Netlify Blobs round trips |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...(["read", "write", "login", "logout", "list", "revoke"] as const).map((operation) => {
      const cell = (list: readonly OperationCost[]) => {
        const cost = costOf(list, operation);
        return cost ? `${decimal(cost.commandsPerRequest)} | ${decimal(cost.roundTripsPerRequest)}` : "– | –";
      };
      return `| ${operation} | ${cell(redis.operations)} | ${cell(postgres.operations)} | ${cell(durableObjects.operations)} | ${cell(netlifyBlobs.operations)} |`;
    }),
    "",
    "## Throughput against the server's own ceiling (measured)",
    "",
    `Redis: \`redis-benchmark\` (50 connections, no pipelining, ${integer(result.options.redisRequests)} requests of its own GET and SET, half as many of each of ours) on the run's redis-server; ` +
      `our commands with our key lengths and our ${redis.valueBytes}-byte record, over 100,000 sessions filled first. Medians of 3 interleaved rounds.`,
    "",
    "| Command | ops/s | Share of redis-benchmark's GET | What ran |",
    "| --- | ---: | ---: | --- |",
    ...redis.throughput.map(
      (entry) => `| ${entry.name} | ${integer(entry.perSecond)} | ${decimal(entry.perSecond / redisCeiling)} | \`${entry.what}\` |`,
    ),
    "",
    `Our request mix (${mixLabel()}) costs ${decimal(redisMixGets)} GETs' worth of Redis time per request, ` +
      `so this server answers about ${integer(redisMixRequests)} session requests per second: **${decimal(1 / redisMixGets)} of its own GET ceiling** per request ` +
      `(${decimal(mixCommands(redis.operations))} commands per request on average).`,
    "",
    `PostgreSQL: pgbench (8 clients, 2 threads, prepared statements, ${result.options.pgbenchSeconds} s per run, medians of 3 interleaved rounds) on the run's database: ` +
      "its own bare primary-key SELECT (`-S`, pgbench_accounts, 100,000 rows) against our read and our write on 100,000 rows of our table with our record size.",
    "",
    "| Query | tps | Share of the bare SELECT | Mean latency ms | What ran |",
    "| --- | ---: | ---: | ---: | --- |",
    ...postgres.throughput.map(
      (entry) =>
        `| ${entry.name} | ${integer(entry.perSecond)} | ${decimal(entry.perSecond / find(postgres.throughput, "bare primary-key"))} | ${decimal(postgres.meanLatencyMs[entry.name] ?? Number.NaN, 3)} | \`${entry.what}\` |`,
    ),
    "",
    ...sizing(result, redisMixGets),
  );
  return `${lines.join("\n")}\n`;
}

function mixLabel(): string {
  return Object.entries(REQUEST_MIX)
    .filter(([, share]) => share > 0)
    .map(([operation, share]) => `${Math.round(share * 100)}% ${operation}`)
    .join(", ");
}

function sizing(result: CapacityResult, redisMixGets: number): string[] {
  const a = ASSUMPTIONS;
  const { redis, postgres } = result;
  const redisUserBytes = redis.bytes.perUser;
  const shardRequests = (a.redisShardGetSetPerSecond / redisMixGets) * a.utilisation;
  const pgRead = find(postgres.throughput, "read (our");
  const pgWrite = find(postgres.throughput, "write (our");
  // Seconds of the measured server per request of the mix: reads as our SELECT, writes as our UPDATE.
  const pgQueries = (operation: Operation) => costOf(postgres.operations, operation)?.commandsPerRequest ?? 0;
  const pgSecondsPerRequest = Object.entries(REQUEST_MIX).reduce((sum, [operation, share]) => {
    const queries = pgQueries(operation as Operation);
    // The first query of every request is the load (a SELECT); the rest write.
    return sum + share * (Math.min(queries, 1) / pgRead + Math.max(0, queries - 1) / pgWrite);
  }, 0);
  const pgPerCore = 1 / pgSecondsPerRequest / result.cpus;
  const queriesPerRequest = Object.entries(REQUEST_MIX).reduce((sum, [operation, share]) => sum + share * pgQueries(operation as Operation), 0);
  const latencySeconds = (postgres.meanLatencyMs["read (our SELECT)"] ?? 1) / 1000;
  const rows: string[] = [];
  for (const users of USER_COUNTS) {
    for (const rate of REQUEST_RATES) {
      const data = users * redisUserBytes;
      const byMemory = Math.ceil(data / a.redisShardBytes);
      const byRate = Math.ceil(rate / shardRequests);
      const shards = Math.max(byMemory, byRate, 1);
      const total = data * (1 + a.redisReplicas);
      const bound = byMemory === byRate ? "memory and throughput alike" : byMemory > byRate ? "memory bound" : "throughput bound";
      const redisCell =
        shards > a.redisMaxPrimaries
          ? `beyond one cluster (${integer(shards)} primaries needed)`
          : shards === 1
            ? `1 primary + ${a.redisReplicas} replica, no cluster needed; ${bytes(data)} of data, ${bytes(total)} with the replica`
            : `${integer(Math.max(shards, 3))} primaries (${bound}${shards < 3 ? "; a Cluster's minimum is 3" : ""}) + ${a.redisReplicas} replica each; ${bytes(data)} of data, ${bytes(total)} with replicas`;
      const pgBytes = users * postgres.bytes.perUser * a.postgresBloat;
      const cores = Math.ceil(rate / pgPerCore / a.utilisation);
      const connections = Math.ceil(rate * queriesPerRequest * latencySeconds * 2);
      const pgCell =
        cores > a.postgresMaxCores
          ? `beyond one primary (${integer(cores)} cores): partition users across primaries`
          : `${integer(cores)} cores, ${bytes(pgBytes)} on disk, ~${integer(connections)} busy connections${connections > a.postgresDirectConnections ? " (behind PgBouncer)" : ""}`;
      rows.push(`| ${integer(users)} | ${integer(rate)} | ${redisCell} | ${pgCell} |`);
    }
  }
  return [
    "## Sizing (extrapolated)",
    "",
    `Every cell below is **extrapolated**: measured bytes per user and measured costs per request (above), scaled under these assumptions: the request mix ${mixLabel()}; ` +
      `a Redis shard holds at most ${bytes(a.redisShardBytes)} of data (a 32 GiB node, with room for persistence forks), has ${a.redisReplicas} replica, and answers ` +
      `${integer(a.redisShardGetSetPerSecond)} GETs a second on a dedicated core (this shared machine measured ${integer(find(redis.throughput, "redis-benchmark GET"))} with the load generator on the same two cores); ` +
      `plans fill ${Math.round(a.utilisation * 100)}% of any server; PostgreSQL tables grow ${Math.round((a.postgresBloat - 1) * 100)}% over the measured bytes between vacuums, ` +
      `a core answers ${integer(pgPerCore)} requests of the mix a second (the measured pgbench rates of our queries divided by this machine's ${result.cpus} cores; ` +
      "pessimistic for writes, whose rate here is bound by this machine's WAL flush, not its cores), " +
      `and busy connections follow Little's law at the measured mean query latency, doubled for headroom.`,
    "",
    `A request of the mix costs Redis ${decimal(redisMixGets)} GETs' worth of time, so a shard serves about ${integer(shardRequests)} requests a second at ${Math.round(a.utilisation * 100)}%. ` +
      `Redis stores ${integer(redisUserBytes)} B and PostgreSQL ${integer(postgres.bytes.perUser)} B per signed-in user (measured).`,
    "",
    "| Users | Requests/s | Redis Cluster | PostgreSQL (one primary) |",
    "| ---: | ---: | --- | --- |",
    ...rows,
    "",
    "### Where each store stops scaling",
    "",
    `- **Redis Cluster** grows by adding primaries: every session of a user lives in one hash slot (the routing tag), so no request spans shards and capacity is linear in primaries up to the cluster's practical ceiling of about ${integer(a.redisMaxPrimaries)} primaries, ` +
      `about ${integer(a.redisMaxPrimaries * shardRequests)} requests/s of this mix and ${bytes(a.redisMaxPrimaries * a.redisShardBytes)} of sessions (${decimal((a.redisMaxPrimaries * a.redisShardBytes) / redisUserBytes / 1e9, 1)} billion signed-in users) by these assumptions. ` +
      "One user's sessions cannot be split across shards: a single user with thousands of devices stays on one primary (the list shows their latest 100).",
    `- **PostgreSQL** takes every session request on its primary: reads cannot go to replicas, since a replica behind the primary would still serve a session a logout ended. ` +
      `So it stops at the largest primary: at ${a.postgresMaxCores} cores, about ${integer(a.postgresMaxCores * pgPerCore * a.utilisation)} requests/s of the mix by these figures. ` +
      "Beyond that, users must be partitioned across primaries (by user, so that a user's sessions and index stay together); PostgresSessionStore talks to one database, so that partitioning is the app's. " +
      "Storage is not the limit: 100 M users fit on one disk.",
    `- **Durable Objects** put each user in an object of their own, so they scale with users without a shared server; each object is a SQLite database of ${bytes(result.durableObjects.bytes.perUser)} here (SQLite pages, not the row), ` +
      `${bytes(result.durableObjects.bytes.perUser * 100_000_000)} for 100 M users. One object serves one user's requests one at a time.`,
    `- **Netlify Blobs** stores ${integer(result.netlifyBlobs.bytes.perUser)} B per signed-in user here; its throughput is Netlify's and was not measured (the local server is not the service).`,
    "",
  ];
}
