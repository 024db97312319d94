/**
 * A Redis that restarts: the app serves again within a second of Redis
 * answering, with the sessions Redis kept; and a Redis that stays away is
 * tried again at a steady, modest pace (src/redis-client.ts), not in a
 * tight loop. A real redis-server, stopped and started again on the same
 * port with its append-only file, as a restart or a redeploy does.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { RECONNECT_MAX_DELAY_MS } from "../src/redis-client.js";
import { CookieClient } from "./support/cookie-client.js";
import { freePort, stopProcess, waitFor } from "./support/processes.js";
import { startServer } from "./support/start-app.js";

let users: string;
let dir: string;

beforeAll(async () => {
  users = `alice:${await hashPassword("correct horse battery staple")}`;
  dir = await mkdtemp(join(tmpdir(), "redis-restart-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** redis-server on `port`, keeping its data in `dir` (append-only, synced on every write) across restarts. */
async function startPersistentRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
    { stdio: "ignore" },
  );
  const probe = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  probe.on("error", () => {});
  try {
    await waitFor(
      async () => {
        if (!probe.isOpen) await probe.connect().catch(() => undefined);
        return probe.isReady && (await probe.ping().catch(() => "")) === "PONG";
      },
      `redis-server on port ${port}`,
      child,
    );
  } finally {
    if (probe.isOpen) probe.destroy();
  }
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a Redis restart", () => {
  it("serves the signed-in user again within a second of Redis answering, even after Redis was away for seconds", async () => {
    const port = await freePort();
    let redis = await startPersistentRedis(port);
    const app = await startServer({ REDIS_URL: `redis://127.0.0.1:${port}`, USERS: users }, "production");
    try {
      const client = new CookieClient(app.url);
      expect((await client.post("/login", { username: "alice", password: "correct horse battery staple" })).status).toBe(303);
      expect((await client.get("/profile")).status).toBe(200);

      await stopProcess(redis);
      await waitFor(async () => (await fetch(`${app.url}/health`)).status === 503, "the app to see Redis gone");
      const noticed = Date.now();
      // Away long enough for a backoff that grows to seconds to have grown (5 s caps left 4.7 s of 503s here).
      await sleep(Math.max(0, noticed + 6_500 - Date.now()));

      redis = await startPersistentRedis(port);
      const answering = Date.now();
      let profile = await client.get("/profile");
      while (profile.status !== 200 && Date.now() - answering < 15_000) {
        await sleep(20);
        profile = await client.get("/profile");
      }
      const serving = Date.now() - answering;
      console.log(`Served again ${serving} ms after the restarted Redis answered.`);
      expect(profile.status).toBe(200);
      expect(await profile.text()).toContain("alice");
      expect(serving).toBeLessThan(1_000);
      expect(app.output().match(/is not reachable/g)).toHaveLength(1);
      expect(app.output()).toContain("is reachable again");
    } finally {
      await app.stop();
      await stopProcess(redis);
    }
  }, 60_000);

  it("keeps trying a Redis that stays away, but at most a few times a second", async () => {
    // Something on the port that takes each connection and drops it at once: a Redis that is not there.
    const connections: Socket[] = [];
    const dropper = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => dropper.listen(port, "127.0.0.1", resolve));
    const app = await startServer({ REDIS_URL: `redis://127.0.0.1:${port}`, USERS: users }, "production");
    try {
      // Past the first quick retries, count the tries over a few seconds.
      await sleep(2_000);
      const before = connections.length;
      const windowMs = 3_000;
      await sleep(windowMs);
      const tries = connections.length - before;
      console.log(`${tries} tries in ${windowMs} ms to reach a Redis that stays away.`);
      expect(tries).toBeGreaterThanOrEqual(2);
      expect(tries).toBeLessThanOrEqual(windowMs / RECONNECT_MAX_DELAY_MS + 2);
    } finally {
      await app.stop();
      await new Promise((resolve) => dropper.close(resolve));
    }
  }, 30_000);
});
