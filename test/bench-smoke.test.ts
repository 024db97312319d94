/**
 * `npm run bench` in its shortest form, so the benchmarks cannot rot: one
 * short iteration of the micro and HTTP benchmarks over every store and
 * app, checked for numbers and for the properties that do not depend on
 * timing (no failed requests, the Redis commands used, no key imports per
 * request). No assertion here is about speed.
 */
import { expect, it } from "vitest";
import { runHttp } from "../bench/http.js";
import { runMicro } from "../bench/micro.js";
import { renderReport } from "../bench/report.js";
import { describeEnvironment } from "../bench/environment.js";
import { SCENARIOS } from "../bench/scenarios.js";
import { summarize } from "../bench/summary.js";

it("runs every micro and HTTP benchmark once and reports numbers", { timeout: 240_000 }, async () => {
  const microOptions = { timeMs: 20, warmupMs: 5 };
  const micro = await runMicro(microOptions);
  expect(micro).toHaveLength(18);
  for (const row of micro) {
    expect(row.opsPerSecond, `${row.store} ${row.size} ${row.library}`).toBeGreaterThan(0);
    expect(Number.isFinite(row.meanMicroseconds)).toBe(true);
    expect(row.cookieBytes).toBeGreaterThan(row.size === "2KB" ? 1500 : 150);
  }

  const httpOptions = { durationSeconds: 1, warmupSeconds: 0, rounds: 1, connections: 4 };
  const http = await runHttp(httpOptions);
  expect(http.map((entry) => `${entry.scenario} ${entry.route}`)).toEqual(
    SCENARIOS.flatMap((scenario) => [`${scenario} read`, `${scenario} write`]),
  );
  for (const entry of http) {
    expect(entry.requests, `${entry.scenario} /${entry.route}`).toBeGreaterThan(0);
    expect(entry.requestsPerSecond).toBeGreaterThan(0);
    expect(entry.non2xx + entry.errors + entry.timeouts).toBe(0);
    expect(entry.served).toBeGreaterThanOrEqual(entry.requests);
    if (entry.scenario.startsWith("ours:")) expect(entry.keyImportsPerRequest, entry.scenario).toBe(0);
  }
  const redisCommands = (scenario: string, route: string) =>
    Object.keys(http.find((entry) => entry.scenario === scenario && entry.route === route)!.redisCommands ?? {}).sort();
  // A read-only request is one GET; a write adds one SET (and nothing else: no EXPIRE, no DEL).
  expect(redisCommands("ours:redis", "read")).toEqual(["get"]);
  expect(redisCommands("ours:redis", "write")).toEqual(["get", "set"]);

  const summary = summarize(http, micro);
  expect(summary.targets.map((target) => target.name)).toHaveLength(4);
  const report = renderReport({ environment: await describeEnvironment(), summary, httpOptions, microOptions, profileNotes: "" });
  expect(report).toContain("| ours:signed | /read |");
  expect(report).toContain("| encrypted | 2KB | iron-session |");
});
