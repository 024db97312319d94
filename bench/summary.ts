/**
 * Turns raw results into what the targets are judged on: medians over
 * rounds of per-round ratios (the machine is shared, so single runs are
 * noisy and a ratio taken within one round is fairer than one across).
 */
import type { HttpResult, Route } from "./http.js";
import type { MicroResult } from "./micro.js";
import { STORES, type Scenario, type StoreName } from "./scenarios.js";

export interface HttpRow {
  scenario: Scenario;
  route: Route;
  medianRequestsPerSecond: number;
  medianLatencyP99Ms: number;
  /** Median over rounds of (this scenario's req/s) / (baseline's req/s), same route. */
  ratioToBaseline: number | null;
  /** Ours only: median over rounds of ours / @hattip/session req/s, same store and route. */
  ratioToHattipSession: number | null;
}

export interface Target {
  name: string;
  met: boolean;
  figures: string;
}

export interface Summary {
  http: HttpRow[];
  micro: (MicroResult & { ratioToHattipSession: number | null })[];
  targets: Target[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(http: readonly HttpResult[], micro: readonly MicroResult[]): Summary {
  const find = (scenario: Scenario, route: Route, round: number) =>
    http.find((entry) => entry.scenario === scenario && entry.route === route && entry.round === round);
  const rounds = [...new Set(http.map((entry) => entry.round))];
  const ratio = (top: Scenario, bottom: Scenario, route: Route) => {
    const perRound = rounds.flatMap((round) => {
      const a = find(top, route, round);
      const b = find(bottom, route, round);
      return a && b && b.requestsPerSecond > 0 ? [a.requestsPerSecond / b.requestsPerSecond] : [];
    });
    return perRound.length ? median(perRound) : null;
  };

  const scenarios = [...new Set(http.map((entry) => entry.scenario))];
  const rows: HttpRow[] = scenarios.flatMap((scenario) =>
    (["read", "write"] as const).map((route) => {
      const runs = http.filter((entry) => entry.scenario === scenario && entry.route === route);
      const theirs = scenario.startsWith("ours:") ? (scenario.replace("ours:", "theirs:") as Scenario) : null;
      return {
        scenario,
        route,
        medianRequestsPerSecond: median(runs.map((entry) => entry.requestsPerSecond)),
        medianLatencyP99Ms: median(runs.map((entry) => entry.latencyP99Ms)),
        ratioToBaseline: scenario === "baseline" ? null : ratio(scenario, "baseline", route),
        ratioToHattipSession: theirs && scenarios.includes(theirs) ? ratio(scenario, theirs, route) : null,
      };
    }),
  );

  const microRows = micro.map((entry) => {
    const peer =
      entry.library.startsWith("hattip-session")
        ? micro.find((other) => other.library === "@hattip/session" && other.store === entry.store && other.size === entry.size)
        : undefined;
    return { ...entry, ratioToHattipSession: peer ? entry.opsPerSecond / peer.opsPerSecond : null };
  });

  return { http: rows, micro: microRows, targets: judge(rows, http) };
}

function judge(rows: readonly HttpRow[], http: readonly HttpResult[]): Target[] {
  const targets: Target[] = [];
  const versus = rows.filter((row) => row.ratioToHattipSession !== null);
  if (versus.length) {
    const worst = versus.reduce((a, b) => (a.ratioToHattipSession! <= b.ratioToHattipSession! ? a : b));
    targets.push({
      name: "ours >= 1.3x @hattip/session req/s, every store, same route",
      met: versus.every((row) => row.ratioToHattipSession! >= 1.3),
      figures: versus
        .map((row) => `${row.scenario.slice(5)} /${row.route} ${row.ratioToHattipSession!.toFixed(2)}x`)
        .join(", ") + `; lowest ${worst.scenario.slice(5)} /${worst.route} ${worst.ratioToHattipSession!.toFixed(2)}x`,
    });
  }
  const signedRead = rows.find((row) => row.scenario === "ours:signed" && row.route === "read");
  if (signedRead?.ratioToBaseline != null) {
    const overhead = 1 - signedRead.ratioToBaseline;
    targets.push({
      name: "signed-cookie store costs <= 10% of the no-session baseline req/s, read-only route",
      met: overhead <= 0.1,
      figures: `ours:signed /read at ${(signedRead.ratioToBaseline * 100).toFixed(1)}% of baseline: overhead ${(overhead * 100).toFixed(1)}%`,
    });
  }
  const redisRuns = http.filter((entry) => entry.scenario === "ours:redis");
  if (redisRuns.length) {
    const perRoute = (route: Route) => median(redisRuns.filter((entry) => entry.route === route).map((entry) => entry.redisCommandsPerRequest ?? Number.NaN));
    const read = perRoute("read");
    const write = perRoute("write");
    targets.push({
      name: "Redis: 1 command per read-only request, <= 2 per writing request",
      // Exact up to a request the server had not yet counted when the counters were read.
      met: Math.abs(read - 1) < 0.005 && write < 2.005,
      figures: `read ${read.toFixed(3)} commands/request (${commandNames(redisRuns, "read")}), write ${write.toFixed(3)} (${commandNames(redisRuns, "write")})`,
    });
  }
  const ours = http.filter((entry) => entry.scenario.startsWith("ours:"));
  if (ours.length) {
    const imports = Math.max(...ours.map((entry) => entry.keyImportsPerRequest));
    const requests = ours.reduce((sum, entry) => sum + entry.served, 0);
    targets.push({
      name: "0 key imports per request",
      met: imports === 0,
      figures: `max ${imports} crypto.subtle.importKey calls per request over ${requests} measured requests of our apps`,
    });
  }
  return targets;
}

function commandNames(runs: readonly HttpResult[], route: Route): string {
  const run = runs.find((entry) => entry.route === route && entry.redisCommands);
  if (!run?.redisCommands || run.served === 0) return "none";
  return Object.entries(run.redisCommands)
    .map(([name, calls]) => `${name.toUpperCase()} ${(calls / run.served).toFixed(2)}`)
    .join(" + ");
}

export const STORE_ORDER: readonly StoreName[] = STORES;
