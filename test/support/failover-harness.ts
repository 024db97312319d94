/**
 * The three failover scenarios of `npm run failover` and the failover
 * tests, on real processes: the node-redis starter (one Node process,
 * never restarted), redis-server primaries, replicas and sentinels on
 * loopback, and autocannon's mixed load (failover-load.ts).
 *
 * - sentinel: 1 primary, 1 replica, 3 sentinels; the primary is SIGKILLed
 *   under load, Sentinel promotes the replica, and the dead node is
 *   restarted (as a supervisor would) once the failover is done, so that
 *   the new primary has a replica again.
 * - cluster: 3 primaries with 1 replica each; one primary is SIGKILLed the
 *   same way, while sessions held by the other shards are read throughout.
 * - partition: the app runs in a network namespace of its own and reaches
 *   Redis over a veth link, which is cut and healed with Redis running.
 *
 * Each returns its figures; the caller prints or asserts them. Every
 * process, namespace and link is removed in `finally`, whatever happens.
 */
import { startRedis, type RedisServer } from "../../packages/session/test/support/redis-server.js";
import { startReplicatedCluster, startSentinelDeployment } from "../../packages/session/test/support/redis-replicas.js";
import {
  checkLedger,
  logIn,
  runMixedLoad,
  type Answer,
  type LedgerVerdict,
  type LoadOptions,
  type LoadResult,
  type SessionEntry,
} from "./failover-load.js";
import { createNamespace } from "./netns.js";
import { pause, startTemplateServer, type TemplateServer } from "./soak-harness.js";

/** The store's default `timeout` (the starter does not change it). */
export const STORE_TIMEOUT_MS = 2000;

export interface LoadShape {
  connections: number;
  ratePerSecond: number;
  maxRequests: number;
  /** Load before the fault, ms. */
  beforeFaultMs: number;
  /** Load after the fault, ms (after the heal, for a partition). */
  afterFaultMs: number;
}

export interface KillOptions {
  /** Run the starter with REDIS_WAIT_REPLICAS=1 (the store's `durability`). */
  durable: boolean;
  load: LoadShape;
  /** How long after the failover the killed node is started again, ms. */
  restartAfterMs: number;
  /**
   * Sentinel only: cut the replica off this long before the kill (frozen
   * with SIGSTOP, its link closed by the primary), with logins and logouts
   * acknowledged meanwhile, so that the replica Sentinel promotes lacks
   * them: the failure that `durability` is for.
   */
  replicaCutOffMs?: number;
}

export interface Timeline {
  /** Load started, ms since the epoch. */
  loadStartedAt: number;
  faultAt: number;
  /** Sentinel or the Cluster reported a new primary (kill scenarios). */
  failoverAt?: number;
  /** The killed node was started again (kill scenarios) or the link brought back (partition). */
  restoredAt: number;
}

export interface Figures {
  scenario: string;
  durable: boolean;
  requests: number;
  /** Answers that were not 2xx/3xx, timeouts and connection errors included. */
  failed: number;
  /** Of those, 503s. */
  unavailable: number;
  /** Of those, 429s: the starter's login throttle refusing the demo user (see RELIABILITY.md). */
  throttled: number;
  timeouts: number;
  /** From the first failed answer after the fault to the last one, ms (0 when none failed). */
  failureWindowMs: number;
  /** From the fault until answers succeed again for good (the first success after the last failure), ms. */
  recoveryMs: number;
  failoverMs?: number;
  /** Sentinel: the failovers the sentinels agreed on during the drill (the scenario makes one), and whether the primary at the end is the one first promoted. */
  sentinel?: { failovers: number; samePrimaryAtEnd: boolean };
  ledger: LedgerVerdict;
  /** The app kept its process ID throughout. */
  appRestarted: boolean;
  /** Cluster: reads of sessions held by the shards that were not killed. */
  otherShards?: { reads: number; failed: number };
  /** Partition: answers to requests sent and answered while the link was down. */
  partition?: {
    /** Reads (GET /profile, signed in) timed beside the load, three readers each one read at a time. */
    readsWhileCut: number;
    /** Of those, the ones not answered 503 (there should be none). */
    readsNot503WhileCut: number;
    /** The slowest of those reads, ms: the store's timeout plus the app's own time. */
    slowestReadMs: number;
    /** The slowest failed answer of the load, ms: includes a login's password hashing on a busy machine. */
    slowestUnderLoadMs: number;
  };
  /** Partition: from the heal until answers succeed again for good, ms. */
  recoveryAfterHealMs?: number;
  /** 4xx answers other than 429: they would mean the load itself is wrong (a 403 from the CSRF check, a 401). */
  unexpected: Record<string, number>;
}

type Cleanup = () => Promise<unknown>;

async function withCleanups<T>(body: (cleanups: Cleanup[]) => Promise<T>): Promise<T> {
  const cleanups: Cleanup[] = [];
  try {
    return await body(cleanups);
  } finally {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  }
}

function loadOptions(url: string, shape: LoadShape): LoadOptions {
  return {
    url,
    connections: shape.connections,
    ratePerSecond: shape.ratePerSecond,
    maxRequests: shape.maxRequests,
    durationSeconds: Math.ceil((shape.beforeFaultMs + shape.afterFaultMs) / 1000),
    timeoutSeconds: 10,
  };
}

async function startApp(env: Record<string, string>, cleanups: Cleanup[], wrap?: string[]): Promise<TemplateServer> {
  const server = await startTemplateServer(env, wrap);
  cleanups.push(() => server.stop());
  return server;
}

/** Sentinel: SIGKILL the primary under load. */
export async function sentinelKill(options: KillOptions): Promise<Figures> {
  return withCleanups(async (cleanups) => {
    const deployment = await startSentinelDeployment();
    cleanups.push(() => deployment.stop());
    const hosts = deployment.sentinelRootNodes.map(({ host, port }) => `${host}:${port}`).join(",");
    const server = await startApp(appEnv(`redis+sentinel://${hosts}/${deployment.masterName}`, options.durable), cleanups);
    const pid = server.pid;
    await logIn(server.url); // connects the client before the clock starts

    const victim = await deployment.primary();
    const replica = deployment.nodes.find((node) => node !== victim)!;
    // Sessions to end while the replica is cut off, logged in (and replicated) before.
    const toEnd = options.replicaCutOffMs === undefined ? [] : await Promise.all(Array.from({ length: 6 }, () => logIn(server.url)));

    const loadStartedAt = Date.now();
    const load = runMixedLoad(loadOptions(server.url, options.load));
    await pause(options.load.beforeFaultMs);
    let cutOff: Map<string, SessionEntry> | undefined;
    if (options.replicaCutOffMs !== undefined) {
      replica.pause();
      cleanups.push(async () => replica.resume());
      await victim.cli("CLIENT", "KILL", "TYPE", "replica");
      [cutOff] = await Promise.all([whileCutOff(server.url, toEnd), pause(options.replicaCutOffMs)]);
    }
    const faultAt = Date.now();
    await victim.crash();
    replica.resume();
    const promoted = await deployment.waitForFailoverFrom(victim.port);
    const failoverAt = Date.now();
    await pause(options.restartAfterMs);
    await victim.restart();
    const restoredAt = Date.now();
    const result = await load;
    for (const [id, entry] of cutOff ?? []) result.sessions.set(id, entry);

    const scenario = options.replicaCutOffMs === undefined ? "sentinel" : "sentinel, replica cut off first";
    const ledger = await checkLedger(server.url, result.sessions);
    const sentinel = { failovers: await deployment.failovers(), samePrimaryAtEnd: (await deployment.primaryPort().catch(() => 0)) === promoted };
    return {
      ...summarize(scenario, options.durable, result, { loadStartedAt, faultAt, failoverAt, restoredAt }, server, pid, ledger),
      sentinel,
    };
  });
}

/** Cluster: SIGKILL one primary under load; sessions on the other shards are read throughout. */
export async function clusterKill(options: KillOptions): Promise<Figures> {
  return withCleanups(async (cleanups) => {
    const cluster = await startReplicatedCluster();
    cleanups.push(() => cluster.stop());
    const seeds = cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(",");
    const server = await startApp(appEnv(`redis+cluster://${seeds}`, options.durable), cleanups);
    const pid = server.pid;

    // Sessions made before the fault, kept by a shard that will not fail. A user's bound sessions share
    // their user tag's hash slot (so that the user's index sits beside them, Cluster-safe), so the demo
    // user's sessions all live on one shard: find it, and kill another one.
    const others: { cookie: string }[] = [];
    for (let count = 0; count < 12; count++) others.push(await logIn(server.url));
    const holding = await Promise.all(cluster.shards.map(async ({ first }) => (await first.cli("KEYS", "session:*")).trim() !== ""));
    const victimShard = cluster.shards.find((_, index) => !holding[index]);
    if (!victimShard) throw new Error("Every shard holds sessions of the one user the load signs in as.");
    const victim = victimShard.first;

    const loadStartedAt = Date.now();
    const load = runMixedLoad(loadOptions(server.url, options.load));
    const probe = readContinuously(server.url, others, loadStartedAt + options.load.beforeFaultMs + options.load.afterFaultMs);
    await pause(options.load.beforeFaultMs);
    const faultAt = Date.now();
    await victim.crash();
    await cluster.waitForFailoverFrom(victim.port);
    const failoverAt = Date.now();
    await pause(options.restartAfterMs);
    await victim.restart();
    const restoredAt = Date.now();
    const [result, otherShards] = await Promise.all([load, probe]);

    const figures = summarize(
      "cluster",
      options.durable,
      result,
      { loadStartedAt, faultAt, failoverAt, restoredAt },
      server,
      pid,
      await checkLedger(server.url, result.sessions),
    );
    return { ...figures, otherShards };
  });
}

export interface PartitionOptions {
  load: LoadShape;
  /** How long the link stays cut, ms. */
  cutMs: number;
}

/** The app in its own network namespace; its link to Redis is cut and healed with both running. */
export async function partition(options: PartitionOptions): Promise<Figures> {
  return withCleanups(async (cleanups) => {
    const namespace = await createNamespace();
    cleanups.push(() => namespace.remove());
    // Two links: one carries the load to the app, the other the app's Redis traffic; only the second is cut.
    const httpLink = await namespace.link();
    const redisLink = await namespace.link();
    const redis: RedisServer = await startRedis({ alsoBind: [redisLink.hostAddress], appendonly: true });
    cleanups.push(() => redis.stop());
    const server = await startApp(
      { ...appEnv(`redis://${redisLink.hostAddress}:${redis.port}`, false), HOST: httpLink.namespaceAddress },
      cleanups,
      namespace.exec,
    );
    const pid = server.pid;
    const readers = await Promise.all([logIn(server.url), logIn(server.url), logIn(server.url)]);

    const loadStartedAt = Date.now();
    const until = loadStartedAt + options.load.beforeFaultMs + options.cutMs + options.load.afterFaultMs;
    const load = runMixedLoad(loadOptions(server.url, { ...options.load, afterFaultMs: options.cutMs + options.load.afterFaultMs }));
    // Reads timed one by one (three readers) beside the load: their time is the store's, with no password hashing in it.
    const reads = Promise.all(readers.map(({ cookie }) => timedReads(server.url, cookie, until))).then((all) => all.flat());
    await pause(options.load.beforeFaultMs);
    await redisLink.cut();
    const faultAt = Date.now();
    cleanups.push(() => redisLink.heal());
    await pause(options.cutMs);
    await redisLink.heal();
    const restoredAt = Date.now();
    const [result, readAnswers] = await Promise.all([load, reads]);

    const timeline = { loadStartedAt, faultAt, restoredAt };
    const figures = summarize("partition", false, result, timeline, server, pid, await checkLedger(server.url, result.sessions));
    // Sent after the cut and answered before the heal: nothing could reach Redis for the whole request.
    const sentWhileCut = (answer: Answer) => answer.at - answer.ms >= faultAt && answer.at <= restoredAt;
    // Requests sent before the heal may fail after it (their timeout runs out): recovery counts from what was sent after.
    const sentAt = (answer: Answer) => answer.at - answer.ms;
    const lastFailureSent = Math.max(restoredAt, ...result.answers.filter(({ status }) => failed(status)).map(sentAt));
    const recovered = result.answers.filter((answer) => sentAt(answer) > lastFailureSent && !failed(answer.status)).sort((a, b) => a.at - b.at)[0];
    return {
      ...figures,
      partition: {
        readsWhileCut: readAnswers.filter(sentWhileCut).length,
        readsNot503WhileCut: readAnswers.filter((answer) => sentWhileCut(answer) && answer.status !== 503).length,
        slowestReadMs: Math.max(0, ...readAnswers.filter(sentWhileCut).map(({ ms }) => ms)),
        slowestUnderLoadMs: Math.max(0, ...result.answers.filter((answer) => sentWhileCut(answer) && failed(answer.status)).map(({ ms }) => ms)),
      },
      recoveryAfterHealMs: recovered ? recovered.at - restoredAt : Number.POSITIVE_INFINITY,
    };
  });
}

/**
 * While the replica is cut off: 6 new logins (to keep) and logouts of the
 * 6 sessions in `toEnd`, all at once, in the ledger's terms.
 */
async function whileCutOff(url: string, toEnd: { id: string; cookie: string }[]): Promise<Map<string, SessionEntry>> {
  const entries = new Map<string, SessionEntry>();
  const origin = new URL(url).origin;
  await Promise.all([
    ...Array.from({ length: 6 }, async () => {
      const session = await logIn(url).catch(() => undefined);
      if (session) entries.set(session.id, { cookie: session.cookie, loggedInAt: Date.now(), logoutSent: false });
    }),
    ...toEnd.map(async ({ id, cookie }) => {
      const entry: SessionEntry = { cookie, loggedInAt: 0, logoutSent: true };
      entries.set(id, entry);
      const response = await fetch(`${url}/logout`, {
        method: "POST",
        headers: { cookie, origin, "sec-fetch-site": "same-origin" },
        redirect: "manual",
      }).catch(() => undefined);
      await response?.body?.cancel();
      if (response?.status === 303) entry.loggedOutAt = Date.now();
    }),
  ]);
  return entries;
}

function appEnv(redisUrl: string, durable: boolean): Record<string, string> {
  return { REDIS_URL: redisUrl, ...(durable ? { REDIS_WAIT_REPLICAS: "1" } : {}) };
}

/** Not served: a timeout or connection error (0), a 5xx, or a 429 from the login throttle. */
function failed(status: number): boolean {
  return status === 0 || status >= 500 || status === 429;
}

function summarize(
  scenario: string,
  durable: boolean,
  result: LoadResult,
  timeline: Timeline,
  server: TemplateServer,
  pid: number,
  ledger: LedgerVerdict,
): Figures {
  const answers = [...result.answers].sort((a, b) => a.at - b.at);
  const failures = answers.filter(({ status }) => failed(status));
  const afterFault = failures.filter(({ at }) => at >= timeline.faultAt);
  const lastFailure = afterFault.at(-1)?.at;
  const recovered = lastFailure === undefined ? undefined : answers.find(({ at, status }) => at > lastFailure && !failed(status));
  const unexpected: Record<string, number> = {};
  for (const { status } of answers) {
    if (status >= 400 && status < 500 && status !== 429) unexpected[status] = (unexpected[status] ?? 0) + 1;
  }
  return {
    scenario,
    durable,
    requests: answers.length,
    failed: failures.length,
    unavailable: failures.filter(({ status }) => status === 503).length,
    throttled: failures.filter(({ status }) => status === 429).length,
    timeouts: result.timeouts,
    failureWindowMs: afterFault.length === 0 ? 0 : afterFault.at(-1)!.at - afterFault[0]!.at,
    recoveryMs: lastFailure === undefined ? 0 : recovered ? recovered.at - timeline.faultAt : Number.POSITIVE_INFINITY,
    failoverMs: timeline.failoverAt === undefined ? undefined : timeline.failoverAt - timeline.faultAt,
    ledger,
    appRestarted: !server.isAlive() || server.pid !== pid,
    unexpected,
  };
}

/** GET /profile with each cookie in turn until `until`; every answer but 200 counts as failed. */
async function readContinuously(url: string, sessions: { cookie: string }[], until: number): Promise<{ reads: number; failed: number }> {
  let reads = 0;
  let failedReads = 0;
  for (let index = 0; Date.now() < until; index = (index + 1) % sessions.length) {
    const response = await fetch(`${url}/profile`, {
      headers: { cookie: sessions[index]!.cookie },
      redirect: "manual",
      signal: AbortSignal.timeout(STORE_TIMEOUT_MS * 3),
    }).catch(() => undefined);
    await response?.body?.cancel();
    reads++;
    if (response?.status !== 200) failedReads++;
    await pause(25);
  }
  return { reads, failed: failedReads };
}

/** GET /profile signed in, one at a time until `until`, each timed. */
async function timedReads(url: string, cookie: string, until: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  while (Date.now() < until) {
    const started = performance.now();
    const response = await fetch(`${url}/profile`, { headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(30_000) }).catch(
      () => undefined,
    );
    await response?.body?.cancel();
    answers.push({ at: Date.now(), status: response?.status ?? 0, ms: performance.now() - started });
    await pause(50);
  }
  return answers;
}

/** One line per scenario, for `npm run failover` and the test logs. */
export function formatFigures(figures: Figures): string {
  const parts = [
    `${figures.scenario} | durability ${figures.durable ? "on " : "off"}`,
    `requests ${figures.requests}`,
    `failed ${figures.failed} (503: ${figures.unavailable}, 429: ${figures.throttled}, timeouts: ${figures.timeouts})`,
    `failure window ${figures.failureWindowMs} ms`,
    `recovered ${Number.isFinite(figures.recoveryMs) ? `${figures.recoveryMs} ms` : "never"} after the fault`,
  ];
  if (figures.failoverMs !== undefined) parts.push(`failover took ${figures.failoverMs} ms`);
  if (figures.sentinel) {
    const { failovers, samePrimaryAtEnd } = figures.sentinel;
    parts.push(`${failovers} failover${failovers === 1 ? "" : "s"}${samePrimaryAtEnd ? "" : ", another primary at the end"}`);
  }
  if (figures.partition) {
    const { readsWhileCut, readsNot503WhileCut, slowestReadMs, slowestUnderLoadMs } = figures.partition;
    parts.push(
      `reads while cut ${readsWhileCut} (${readsNot503WhileCut} not 503), slowest ${Math.round(slowestReadMs)} ms ` +
        `(store timeout ${STORE_TIMEOUT_MS}; slowest 503 under load ${Math.round(slowestUnderLoadMs)} ms)`,
    );
  }
  if (figures.recoveryAfterHealMs !== undefined) parts.push(`recovered ${figures.recoveryAfterHealMs} ms after the heal`);
  parts.push(`lost ${figures.ledger.lost.length}/${figures.ledger.kept} logins`);
  parts.push(`resurrected ${figures.ledger.resurrected.length}/${figures.ledger.ended} logouts`);
  if (figures.otherShards) parts.push(`other shards ${figures.otherShards.failed}/${figures.otherShards.reads} reads failed`);
  if (figures.ledger.unanswered > 0) parts.push(`${figures.ledger.unanswered} checks unanswered`);
  if (Object.keys(figures.unexpected).length > 0) parts.push(`unexpected ${JSON.stringify(figures.unexpected)}`);
  parts.push(figures.appRestarted ? "APP RESTARTED" : "no app restart");
  return parts.join(" | ");
}
