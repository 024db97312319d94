/**
 * Redis dies (SIGKILL) and comes back while autocannon drives the
 * node-redis template: the server must stay up, answer 503 instead of
 * hanging while Redis is gone, recover without help, and lose no session
 * it acknowledged (Redis runs with appendonly yes, appendfsync always).
 */
import { afterAll, expect, it } from "vitest";
import { logInAsDemo, pause, redisPid, runLoad, startStack, unreadableSessions, type ResponseRecord, type Stack } from "./support/soak-harness.js";

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
});

const CONNECTIONS = 10;

it("survives Redis being killed and restarted under load: 503s, no hang, recovery, no acknowledged session lost", async () => {
  stack = await startStack();
  const { server, redis } = stack;
  const loggedIn = [await logInAsDemo(server.url), await logInAsDemo(server.url)];

  const marks = { killed: 0, restarting: 0, restarted: 0 };
  const load = runLoad({ url: server.url, connections: CONNECTIONS, durationSeconds: 9, timeoutSeconds: 3 });
  await pause(2_000);
  const pid = await redisPid(redis);
  marks.killed = Date.now();
  process.kill(pid, "SIGKILL");
  // A signed-in visitor arriving while Redis is gone: timed for the report, not asserted (the machine is shared).
  // (A visitor who is not signed in needs no Redis at all: the starter keeps their notices in a cookie.)
  await pause(500);
  const probeStarted = Date.now();
  const probe = await fetch(`${server.url}/profile`, { headers: { cookie: loggedIn[0]! }, redirect: "manual" });
  const probeMs = Date.now() - probeStarted;
  await pause(2_000);
  marks.restarting = Date.now();
  await redis.restart();
  marks.restarted = Date.now();
  const report = await load;

  const during = (from: number, to: number) => report.responses.filter(({ at }) => at >= from && at < to);
  const statusesOf = (records: ResponseRecord[]) =>
    records.reduce<Record<number, number>>((counts, { status }) => {
      counts[status] = (counts[status] ?? 0) + 1;
      return counts;
    }, {});
  const down = during(marks.killed, marks.restarting);
  const afterRecovery = during(marks.restarted, Number.POSITIVE_INFINITY);
  console.log("faults:", {
    statuses: report.statuses,
    whileDown: statusesOf(down),
    afterRestart: statusesOf(afterRecovery),
    latencyMs: report.latency,
    sessionsCreated: report.createdSessions.length,
    probeWhileDown: { status: probe.status, ms: probeMs },
    msFromRestartToFirstNewSession: Math.min(...afterRecovery.filter((r) => r.createdSession).map(({ at }) => at)) - marks.restarted,
  });

  // Up all along, and never a hang: every request got an answer within the 3 s timeout.
  expect(server.isAlive()).toBe(true);
  expect(report.errors).toBe(0);
  expect(report.timeouts).toBe(0);
  expect(Object.keys(report.statuses).sort()).toEqual(["200", "303", "503"]);
  // Redis being gone showed as 503s, answered while it was down.
  expect(probe.status).toBe(503);
  expect(probe.headers.get("retry-after")).toBe("5");
  expect(down.filter(({ status }) => status === 503).length).toBeGreaterThan(0);
  // Recovered by itself: new sessions were created after the restart, and a new login gets one now.
  expect(afterRecovery.some(({ createdSession }) => createdSession !== undefined)).toBe(true);
  loggedIn.push(await logInAsDemo(server.url));

  // Nothing acknowledged was lost: the logins from before the fault, and every session created under load.
  for (const cookie of loggedIn) {
    const profile = await fetch(`${server.url}/profile`, { headers: { cookie }, redirect: "manual" });
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain(">demo<");
  }
  expect(report.lostReads).toBe(0);
  expect(await unreadableSessions(redis.url, report.createdSessions)).toEqual([]);
});
