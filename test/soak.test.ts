/**
 * The soak (`npm run soak`, 60 s) in 5 seconds: the node-redis template
 * under autocannon at 100 connections with a real redis-server, judged by
 * the same criteria.
 */
import { afterAll, expect, it } from "vitest";
import { judgeSoak, runLoad, sampleRss, startStack, unreadableSessions, type Stack } from "./support/soak-harness.js";

const RSS_LIMIT_MIB = 400;

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
});

it("serves 5 s of 100-connection load with no error, only 2xx/3xx, every session readable and RSS bounded", async () => {
  stack = await startStack();
  const { server, redis } = stack;
  const rss = sampleRss(server.pid);
  const report = await runLoad({ url: server.url, connections: 100, durationSeconds: 5, timeoutSeconds: 10 });
  const samples = rss.stop();
  const unreadable = await unreadableSessions(redis.url, report.createdSessions);
  const { responses: _responses, createdSessions, ...summary } = report;
  console.log("soak (5 s):", { ...summary, sessionsCreated: createdSessions.length, rssMiB: samples.map((mib) => Math.round(mib)) });

  expect(judgeSoak(report, unreadable, samples, RSS_LIMIT_MIB).failures).toEqual([]);
  expect(report.createdSessions.length).toBeGreaterThan(0);
  expect(server.isAlive()).toBe(true);
});
