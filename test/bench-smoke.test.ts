/**
 * `npm run bench` in its shortest form, so the benchmarks cannot rot: one
 * short round of the many-users and HTTP benchmarks over every app, the
 * memory and bundle measures, checked for numbers and for the properties
 * that do not depend on timing (no failed requests, Redis commands and
 * round trips, no server-store code in a cookie-only bundle, no key
 * imports per request). No assertion here is about speed.
 */
import { createClient } from "redis";
import { expect, it } from "vitest";
import { measureBundles } from "../bench/bundle.js";
import { createApp } from "../bench/apps.js";
import { adapterContextFor } from "../bench/context.js";
import { describeEnvironment } from "../bench/environment.js";
import { runHttp } from "../bench/http.js";
import { LAYER_STORES, runLayer } from "../bench/layer.js";
import { MEASURED_ROUTES, runManyUsers, runManyUsersByStore, scenarioGroups } from "../bench/many-users.js";
import { measureMemory } from "../bench/memory.js";
import { renderReport } from "../bench/report.js";
import { runCapacity } from "../bench/capacity.js";
import { renderCapacity } from "../bench/capacity-report.js";
import { FLOOR_SCENARIOS, SCENARIOS, writes } from "../bench/scenarios.js";
import { summarize } from "../bench/summary.js";
import { runWorkersKv } from "../bench/workers-kv.js";
import { startRedis } from "../packages/session/test/support/redis-server.js";

it("runs every benchmark once and reports numbers", { timeout: 240_000 }, async () => {
  const manyUsersOptions = { users: 20, rounds: 1, batch: 20 };
  const manyUsers = await runManyUsers(manyUsersOptions);
  expect(manyUsers.samples.map((sample) => `${sample.scenario} ${sample.route}`).sort()).toEqual(
    [
      ...SCENARIOS.flatMap((scenario) => MEASURED_ROUTES.map((route) => `${scenario} ${route}`)),
      ...FLOOR_SCENARIOS.flatMap((scenario) => (writes(scenario) ? MEASURED_ROUTES : ["read"]).map((route) => `${scenario} ${route}`)),
    ].sort(),
  );
  for (const sample of manyUsers.samples) expect(sample.cpuMicros, `${sample.scenario} ${sample.route}`).toBeGreaterThan(0);
  const redis = (scenario: string, route: string) => manyUsers.redis.find((cost) => cost.scenario === scenario && cost.route === route)!;
  // A read-only request is one GET; a login over a live session loads it, then kills it and stores the new one in one round trip.
  expect(redis("ours:redis", "read")).toMatchObject({ commandsPerRequest: 1, roundTripsPerRequest: 1 });
  expect(redis("ours:redis", "relogin").roundTripsPerRequest).toBeLessThanOrEqual(2);

  // npm run bench runs each store's apps in a process of their own; each app meets its own process's no-session app.
  const byStore = await runManyUsersByStore({
    users: 5,
    rounds: 1,
    batch: 5,
    routes: ["read"],
    scenarios: ["baseline", "ours:unsigned", "theirs:unsigned", "cookie-only"],
  });
  expect(scenarioGroups(["baseline", "ours:unsigned", "theirs:unsigned", "cookie-only"])).toEqual([
    ["baseline", "cookie-only"],
    ["baseline", "ours:unsigned", "theirs:unsigned"],
  ]);
  const roundsOf = (scenario: string) => byStore.samples.filter((sample) => sample.scenario === scenario).map((sample) => sample.round);
  expect(roundsOf("baseline")).toHaveLength(2);
  expect(roundsOf("ours:unsigned")).toEqual(roundsOf("theirs:unsigned"));
  expect(roundsOf("baseline")).toContain(roundsOf("ours:unsigned")[0]);
  expect(roundsOf("cookie-only")[0]).not.toBe(roundsOf("ours:unsigned")[0]);

  const layerOptions = { users: 20, pairs: 2, batch: 10 };
  const layer = await runLayer(layerOptions);
  expect(layer.map((row) => `${row.store} ${row.route}`)).toEqual(LAYER_STORES.flatMap((store) => [`${store} read`, `${store} write`]));
  for (const row of layer) expect(row.oursMicros * row.theirsMicros, `${row.store} ${row.route}`).toBeGreaterThan(0);

  const memory = await measureMemory(500);
  expect(memory.bytesPerSession.ours).toBeGreaterThan(0);
  const bundles = await measureBundles();
  for (const bundle of bundles.filter((entry) => !entry.name.startsWith("everything"))) {
    expect(bundle.serverStoreCode, bundle.name).toEqual([]);
  }
  // The check can fail: the whole package does carry the server-side stores.
  expect(bundles.find((entry) => entry.name.startsWith("everything"))!.serverStoreCode.length).toBeGreaterThan(0);

  const httpOptions = { users: 10, durationSeconds: 1, warmupSeconds: 0, rounds: 1, connections: 4 };
  const http = await runHttp(httpOptions);
  expect(http.map((entry) => `${entry.scenario} ${entry.route}`)).toEqual([
    ...SCENARIOS.flatMap((scenario) => [`${scenario} read`, `${scenario} write`]),
    ...FLOOR_SCENARIOS.flatMap((scenario) => (writes(scenario) ? [`${scenario} read`, `${scenario} write`] : [`${scenario} read`])),
  ]);
  for (const entry of http) {
    expect(entry.requests, `${entry.scenario} /${entry.route}`).toBeGreaterThan(0);
    expect(entry.non2xx + entry.errors + entry.timeouts).toBe(0);
    expect(entry.served).toBeGreaterThanOrEqual(entry.requests);
    if (entry.scenario.startsWith("ours:")) expect(entry.keyImportsPerRequest, entry.scenario).toBe(0);
  }

  const kv = await runWorkersKv({ users: 5, rounds: 1, batch: 5 });
  expect(kv.rows.map((row) => `${row.app} ${row.route}`)).toEqual([
    "baseline read",
    "baseline write",
    "ours read",
    "ours write",
    "theirs read",
    "theirs write",
  ]);
  for (const sample of kv.samples) expect(sample.cpuMicros, `${sample.app} ${sample.route}`).toBeGreaterThan(0);

  const summary = summarize({ manyUsers, http, memory, bundles, kv });
  expect(summary.targets.length).toBeGreaterThanOrEqual(12);
  expect(summary.floor.map((row) => `${row.kind} ${row.route}`)).toEqual(["signed read", "encrypted read", "redis read", "redis write"]);
  const report = renderReport({
    environment: await describeEnvironment(),
    summary,
    manyUsersOptions,
    layer: { options: layerOptions, rows: layer },
    httpOptions,
    history: [],
    profileNotes: "",
  });
  expect(report).toContain("| ours:signed |");
  expect(report).toContain("| iron:encrypted |");
  expect(report).toMatch(/\| Met \||\| \*\*Not met\*\* \|/);
  expect(report).toContain("## The floor of a cookie read");
  expect(report).toContain("## The floor of a Redis session");
  expect(report).toContain("## The session layer alone");
  expect(report).toContain("## Workers KV in workerd");
});

it("gives every cookie-store app the same cookie attributes, so none is measured doing less", async () => {
  const attributesOf = async (scenario: (typeof SCENARIOS)[number]) => {
    const app = await createApp(scenario);
    const response = await app(adapterContextFor(new Request("http://app.test/login")));
    const [line] = response.headers.getSetCookie();
    if (line === undefined) throw new Error(`${scenario}: /login set no cookie`);
    // Max-Age aside (@hattip/session sends milliseconds where seconds belong), the attributes as a set.
    return line
      .split(";")
      .slice(1)
      .map((part) => part.trim().toLowerCase())
      .filter((part) => !part.startsWith("max-age="))
      .sort();
  };
  const expected = ["httponly", "path=/", "samesite=lax", "secure"];
  for (const store of ["signed", "encrypted", "unsigned", "memory"] as const) {
    expect(await attributesOf(`ours:${store}`), `ours:${store}`).toEqual(expected);
    expect(await attributesOf(`theirs:${store}`), `theirs:${store}`).toEqual(expected);
  }
  expect(await attributesOf("iron:encrypted")).toEqual(expected);
});

it("keeps a real session in the Redis floor app, with the Set-Cookie line the libraries send", async () => {
  const server = await startRedis();
  const client = createClient({ url: server.url });
  await client.connect();
  try {
    const app = await createApp("floor:redis", { redis: client });
    const send = (path: string, cookie?: string) =>
      app(adapterContextFor(new Request(`http://app.test${path}`, { headers: cookie ? { cookie } : {} })));
    const login = await send("/login");
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    expect(await (await send("/read", cookie)).text()).toBe("Ada Lovelace");
    expect(await (await send("/write", cookie)).text()).toBe("1");
    const write = await send("/write", cookie);
    expect(await write.text()).toBe("2");
    expect(write.headers.getSetCookie()[0]).toBe(`${cookie}; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax`);
    // An unknown ID reads as no session; the stored one carries the TTL a real session would.
    expect(await (await send("/read", "session=unknown")).text()).toBe("anonymous");
    expect(await client.ttl(`session:${cookie.slice("session=".length)}`)).toBeGreaterThan(604_000);
  } finally {
    await client.close();
    await server.stop();
  }
});

it("runs the capacity plan once and reports every table", { timeout: 240_000 }, async () => {
  const result = await runCapacity({ users: 30, edgeUsers: 3, countedRequests: 2, redisRequests: 1000, pgbenchSeconds: 1 });
  for (const store of [result.redis, result.postgres, result.durableObjects, result.netlifyBlobs]) {
    expect(store.bytes.perUser).toBeGreaterThan(0);
    expect(store.operations.map((cost) => cost.operation).sort()).toEqual(["list", "login", "logout", "read", "revoke", "write"]);
  }
  // What does not depend on timing: a signed-in read is one backend call in every store.
  for (const store of [result.redis, result.postgres, result.durableObjects, result.netlifyBlobs]) {
    expect(store.operations.find((cost) => cost.operation === "read")).toMatchObject({ commandsPerRequest: 1, roundTripsPerRequest: 1 });
  }
  for (const entry of [...result.redis.throughput, ...result.postgres.throughput]) expect(entry.perSecond, entry.name).toBeGreaterThan(0);
  const report = renderCapacity(result);
  for (const heading of [
    "## Bytes per signed-in user (measured)",
    "## Backend commands and round trips per request (measured)",
    "## Sizing (extrapolated)",
  ]) {
    expect(report).toContain(heading);
  }
  expect(report).toContain("| 100,000,000 | 1,000,000 |");
});
