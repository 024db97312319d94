/**
 * One app of the HTTP benchmark, in its own process so that the load
 * generator does not share its event loop:
 *
 *   node --import tsx bench/server.ts <scenario> [redis-url]
 *
 * Prints `listening <port>` once ready. Routes: those of bench/apps.ts,
 * and GET /__bench/stats: requests answered so far, calls to
 * crypto.subtle.importKey since start (counted by wrapping it before any
 * store exists) and the process's CPU time so far (µs), as JSON.
 */
import { countKeyImports } from "./key-import-counter.js";
const keyImports = countKeyImports();

import { createServer } from "@hattip/adapter-node";
import { compose } from "@hattip/compose";
import { createClient } from "redis";
import { createApp } from "./apps.js";
import { FLOOR_SCENARIOS, SCENARIOS, storeOf, type Scenario } from "./scenarios.js";

const [scenario, redisUrl] = process.argv.slice(2) as [Scenario, string | undefined];
const known = [...SCENARIOS, ...FLOOR_SCENARIOS];
if (!known.includes(scenario)) throw new Error(`unknown scenario ${scenario}; one of ${known.join(", ")}`);

let redis: ReturnType<typeof createClient> | undefined;
if (storeOf(scenario) === "redis") {
  if (!redisUrl) throw new Error(`${scenario} needs a Redis URL`);
  redis = createClient({ url: redisUrl });
  await redis.connect();
}

// Counted by the app, so per-request figures include the requests still
// in flight when autocannon stopped counting.
let answered = 0;
const app = await createApp(scenario, { redis, onAnswer: () => answered++ });
const handler = compose((ctx) => {
  if (ctx.url.pathname === "/__bench/stats") {
    const cpu = process.cpuUsage();
    return Response.json({ answered, keyImports: keyImports.count, cpuMicros: cpu.user + cpu.system });
  }
}, app);

const server = createServer(handler);
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("server has no port");
  process.stdout.write(`listening ${address.port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  void redis?.close();
  process.exit(0);
});
