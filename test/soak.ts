/**
 * `npm run soak`: the node-redis template under autocannon (100
 * connections, 60 s) with a real redis-server. Passes when there are no
 * errors, no timeouts, only 2xx/3xx answers, every session created is
 * readable afterwards, and the server's RSS, sampled every second, stays
 * under the bound. Exits 1 otherwise.
 *
 *   npm run soak -- --duration 60 --connections 100 --rss-limit 400
 */
import { parseArgs } from "node:util";
import { judgeSoak, runLoad, sampleRss, startStack, unreadableSessions } from "./support/soak-harness.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    connections: { type: "string", default: "100" },
    "rss-limit": { type: "string", default: "400" },
  },
});
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);
const rssLimitMiB = Number(values["rss-limit"]);

const stack = await startStack();
let exitCode = 1;
try {
  const { server, redis } = stack;
  console.log(`soak: ${connections} connections for ${durationSeconds} s against ${server.url} (Redis ${redis.url}, appendonly)`);
  const rss = sampleRss(server.pid);
  let answered = 0;
  const progress = setInterval(() => {
    console.log(`  ${rss.samples.length - 1}s  RSS ${rss.samples.at(-1)!.toFixed(1)} MiB  ${answered} responses`);
  }, 5_000);
  const report = await runLoad({ url: server.url, connections, durationSeconds, timeoutSeconds: 10 }, () => answered++);
  clearInterval(progress);
  const samples = rss.stop();
  const unreadable = await unreadableSessions(redis.url, report.createdSessions);
  const verdict = judgeSoak(report, unreadable, samples, rssLimitMiB);
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

  console.log(
    JSON.stringify(
      {
        requests: report.requests,
        requestsPerSecond: Math.round(report.requestsPerSecond),
        statuses: report.statuses,
        errors: report.errors,
        timeouts: report.timeouts,
        latencyMs: report.latency,
        sessionsCreated: report.createdSessions.length,
        sessionsNotFoundRightAfterCreation: report.lostReads,
        sessionsUnreadableAfterwards: unreadable.length,
        rssMiB: {
          bound: rssLimitMiB,
          start: Number(samples[0]!.toFixed(1)),
          max: Number(verdict.rssMaxMiB.toFixed(1)),
          firstTenthMean: Number(mean(samples.slice(0, tenth)).toFixed(1)),
          lastTenthMean: Number(mean(samples.slice(-tenth)).toFixed(1)),
          samples: samples.length,
        },
        serverAlive: server.isAlive(),
      },
      null,
      2,
    ),
  );
  if (!server.isAlive()) verdict.failures.push("the server process died");
  if (verdict.failures.length === 0) {
    console.log("soak: PASS");
    exitCode = 0;
  } else {
    console.log(`soak: FAIL\n  - ${verdict.failures.join("\n  - ")}`);
    if (!server.isAlive()) console.log(server.output());
  }
} finally {
  await stack.stop();
}
process.exit(exitCode);
