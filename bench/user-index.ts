/**
 * What a user's index costs RedisSessionStore, as ratios within one run
 * against a redis-server of its own: a bound session's write (one script
 * that also keeps the index) against an anonymous one's (one SET), a
 * bound session's creation against an anonymous one's, and listing a
 * user's five sessions (ZRANGE + MGET) against loading one session (GET).
 *
 *   npm run build && npx tsx bench/user-index.ts [--time-ms 500]
 */
import { parseArgs } from "node:util";
import { RedisSessionStore, type SessionRecord } from "hattip-session";
import { createClient } from "redis";
import { Bench } from "tinybench";
import { startRedis } from "../packages/session/test/support/redis-server.js";
import { typicalSession } from "./fixtures.js";

const { values } = parseArgs({ options: { "time-ms": { type: "string", default: "500" } } });
const timeMs = Number(values["time-ms"]);

const redis = await startRedis();
const client = createClient({ url: redis.url });
try {
  // Binding needs the user tag's secret, as an app's SESSION_TAG_SECRET.
  const store = new RedisSessionStore<Record<string, unknown>>({
    getClient: () => client,
    userTagSecret: "bench only: a user tag secret of 32+ characters",
  });
  const ctx = {} as never;
  const record = (user?: string): SessionRecord<Record<string, unknown>> => {
    const now = Date.now();
    const base = { data: typicalSession(), createdAt: now, expiresAt: now + 3_600_000 };
    return user === undefined ? base : { ...base, meta: { user, agent: "Firefox on Linux", seenAt: now } };
  };

  const anonymous = await store.createRecord(record(), ctx);
  const bound = await store.createRecord(record("ada"), ctx);
  for (let i = 0; i < 4; i++) await store.createRecord(record("ada"), ctx);
  let created = 0;

  const bench = new Bench({ time: timeMs, warmupTime: timeMs / 5 });
  bench
    .add("anonymous write (SET XX)", async () => void (await store.updateRecord(anonymous, record(), ctx)))
    .add("bound write (script: SET XX + index)", async () => void (await store.updateRecord(bound, record("ada"), ctx)))
    .add("anonymous create (SET NX)", async () => void (await store.createRecord(record(), ctx)))
    // A user of its own per 100 creations, so that no index grows without bound during the run.
    .add("bound create (script: SET NX + index)", async () => void (await store.createRecord(record(`user-${Math.floor(created++ / 100)}`), ctx)))
    .add("load one session (GET)", async () => void (await store.loadEntry(bound, ctx)))
    .add("list a user's 5 sessions (ZRANGE + MGET)", async () => void (await store.listUserSessions("ada", ctx)));
  await bench.run();

  const opsPerSecond = new Map(
    bench.tasks.map((task) => {
      const stats = task.result;
      if (!stats || !("throughput" in stats)) throw new Error(`"${task.name}" produced no statistics`);
      return [task.name, stats.throughput.mean] as const;
    }),
  );
  const ratio = (a: string, b: string) => (opsPerSecond.get(a)! / opsPerSecond.get(b)!).toFixed(2);
  for (const [name, ops] of opsPerSecond) console.log(`${name.padEnd(44)} ${Math.round(ops).toString().padStart(7)} ops/s`);
  console.log(`bound write / anonymous write:   ${ratio("bound write (script: SET XX + index)", "anonymous write (SET XX)")}`);
  console.log(`bound create / anonymous create: ${ratio("bound create (script: SET NX + index)", "anonymous create (SET NX)")}`);
  console.log(`listing 5 / loading 1:           ${ratio("list a user's 5 sessions (ZRANGE + MGET)", "load one session (GET)")}`);
} finally {
  if (client.isOpen) await client.close();
  await redis.stop();
}
