/**
 * KvSessionStore in workerd, against @hattip/session's KvSessionStore, the
 * many-users way: the Worker of bench/workers-kv-worker.ts runs in workerd
 * through Miniflare with a real (local) KV namespace; each app logs in
 * `users` visitors, then batches of sequential requests go round-robin over
 * them, each user's cookie updated from the last Set-Cookie. CPU is
 * workerd's own (every thread's run time from /proc, in nanoseconds) over
 * the batch; a session's cost is its app's CPU per request minus the
 * no-session app's in the same round; rounds interleave the apps.
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { median } from "./summary.js";
import { startWorker } from "./workers.js";

export const KV_APPS = ["baseline", "ours", "theirs"] as const;
export type KvApp = (typeof KV_APPS)[number];
export type KvRoute = "read" | "write";

export interface KvOptions {
  users: number;
  rounds: number;
  batch: number;
  log?: (line: string) => void;
}

export interface KvSample {
  app: KvApp;
  route: KvRoute;
  round: number;
  /** workerd's CPU per request, µs. */
  cpuMicros: number;
}

export interface KvRow {
  app: KvApp;
  route: KvRoute;
  appMicros: number;
  /** Median over rounds of (app − no-session app), µs. */
  sessionMicros: number | null;
  timesCheaperThanHattip: number | null;
}

export interface KvResult {
  options: Pick<KvOptions, "users" | "rounds" | "batch">;
  samples: KvSample[];
  rows: KvRow[];
  workerd: string;
}

const WORKER = fileURLToPath(new URL("./workers-kv-worker.ts", import.meta.url));

export async function runWorkersKv(options: KvOptions): Promise<KvResult> {
  const log = options.log ?? (() => {});
  const worker = await startWorker(WORKER, () => ({ kvNamespaces: ["SESSIONS"] }));
  try {
    const origin = (await worker.mf.ready).origin;
    const workerd = await workerdProcess();
    const jars = new Map<KvApp, string[]>();
    for (const app of KV_APPS) {
      const jar: string[] = [];
      for (let index = 0; index < options.users; index++) jar.push(await logIn(`${origin}/${app}/login`, app));
      jars.set(app, jar);
      log(`  kv ${app}: ${options.users} users logged in`);
    }
    const cursors = new Map<KvApp, number>(KV_APPS.map((app) => [app, 0]));
    const batch = async (app: KvApp, route: KvRoute, requests: number) => {
      const jar = jars.get(app)!;
      const before = await threadsCpuNanos(workerd);
      for (let index = 0; index < requests; index++) {
        const at = cursors.get(app)! % jar.length;
        cursors.set(app, at + 1);
        const response = await fetch(`${origin}/${app}/${route}`, { headers: { cookie: jar[at]! } });
        await response.text();
        if (!response.ok) throw new Error(`kv ${app} /${route} answered ${response.status}`);
        const set = response.headers.getSetCookie()[0];
        if (set && app !== "baseline") jar[at] = set.split(";")[0]!;
      }
      return (await threadsCpuNanos(workerd)) - before;
    };
    const routes: KvRoute[] = ["read", "write"];
    for (const app of KV_APPS) for (const route of routes) await batch(app, route, Math.min(options.batch, 200));
    const samples: KvSample[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const offset = (round - 1) % KV_APPS.length;
      for (const app of [...KV_APPS.slice(offset), ...KV_APPS.slice(0, offset)]) {
        for (const route of round % 2 === 1 ? routes : [...routes].reverse()) {
          samples.push({ app, route, round, cpuMicros: (await batch(app, route, options.batch)) / 1000 / options.batch });
        }
      }
      log(`  kv round ${round} of ${options.rounds} done`);
    }
    return {
      options: { users: options.users, rounds: options.rounds, batch: options.batch },
      samples,
      rows: kvRows(samples),
      workerd: await workerdVersion(workerd),
    };
  } finally {
    await worker.dispose();
  }
}

export function kvRows(samples: readonly KvSample[]): KvRow[] {
  const of = (app: KvApp, route: KvRoute) => samples.filter((sample) => sample.app === app && sample.route === route);
  const session = (app: KvApp, route: KvRoute): number | null => {
    if (app === "baseline") return null;
    const perRound = of(app, route).flatMap((sample) => {
      const base = samples.find((other) => other.app === "baseline" && other.route === route && other.round === sample.round);
      return base ? [sample.cpuMicros - base.cpuMicros] : [];
    });
    return perRound.length ? median(perRound) : null;
  };
  const rows = KV_APPS.flatMap((app) =>
    (["read", "write"] as const).map((route) => ({
      app,
      route,
      appMicros: median(of(app, route).map((sample) => sample.cpuMicros)),
      sessionMicros: session(app, route),
      timesCheaperThanHattip: null as number | null,
    })),
  );
  for (const row of rows) {
    if (row.app !== "ours" || row.sessionMicros === null) continue;
    const theirs = rows.find((other) => other.app === "theirs" && other.route === row.route)?.sessionMicros ?? null;
    row.timesCheaperThanHattip = theirs === null ? null : theirs / Math.max(row.sessionMicros, 0.5);
  }
  return rows;
}

async function logIn(url: string, app: KvApp): Promise<string> {
  const response = await fetch(url);
  await response.text();
  if (!response.ok) throw new Error(`kv ${app} /login answered ${response.status}`);
  const set = response.headers.getSetCookie()[0];
  if (!set && app !== "baseline") throw new Error(`kv ${app} /login set no cookie`);
  return set ? set.split(";")[0]! : "session=none";
}

/** The workerd process Miniflare started (a descendant of this one). */
async function workerdProcess(): Promise<number> {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const match = /^(\d+) \((.*)\) \S+ (\d+)/.exec(stat);
    if (!match) continue;
    names.set(Number(match[1]), match[2]!);
    const parent = Number(match[3]);
    children.set(parent, [...(children.get(parent) ?? []), Number(match[1])]);
  }
  const pending = [process.pid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (pid !== process.pid && names.get(pid) === "workerd") return pid;
    pending.push(...(children.get(pid) ?? []));
  }
  throw new Error("no workerd process under this one: did Miniflare start?");
}

/** Run time of every thread of `pid`, in nanoseconds (schedstat's first field). */
async function threadsCpuNanos(pid: number): Promise<number> {
  let total = 0;
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const schedstat = await readFile(`/proc/${pid}/task/${task}/schedstat`, "utf8").catch(() => "0");
    total += Number(schedstat.split(" ")[0]);
  }
  return total;
}

async function workerdVersion(pid: number): Promise<string> {
  const exe = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  const version = /workerd[^/]*\/(\d[\w.-]*)/.exec(exe)?.[1];
  return version ?? "workerd (miniflare's)";
}
