/**
 * Redis going away and coming back, with a real redis-server: requests
 * fail fast with SessionStoreUnavailableError (mapped to 503 here, as the
 * templates do), the process stays up, and the same client serves again
 * once Redis is back, with no restart.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { createClient } from "redis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RedisSessionStore, SessionStoreUnavailableError, session } from "../src/index.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";
import { serve, type Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

// Generous for a loaded CI machine; still far below the test timeout.
const TIMEOUT_MS = 1000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function startApp(url: string, reconnectStrategy: false | (() => number) = () => 100) {
  // No reconnect backoff beyond 100 ms, so that recovery is quick to observe.
  const client = createClient({ url, socket: { reconnectStrategy, connectTimeout: 1000 } });
  cleanups.push(async () => client.destroy());
  const store = new RedisSessionStore({ userTagSecret, getClient: () => client, timeout: TIMEOUT_MS });
  const served: Served = await serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) =>
          error instanceof SessionStoreUnavailableError
            ? new Response("sessions are unavailable, try again shortly", { status: 503, headers: { "retry-after": "1" } })
            : new Response("unexpected", { status: 500 });
      },
      cookie(),
      session({ store }),
      sessionRoutes,
    ),
  );
  cleanups.push(() => served.close());
  return { browser: new CookieClient(served.url), client };
}

async function startRedisServer(options?: { appendonly?: boolean }): Promise<RedisServer> {
  const redis = await startRedis(options);
  cleanups.push(() => redis.stop());
  return redis;
}

/** Polls until the request succeeds; the attempt cap is the test's only bound. */
async function untilOk(request: () => Promise<{ status: number }>): Promise<number> {
  for (let attempt = 1; attempt <= 100; attempt++) {
    if ((await request()).status === 200) return attempt;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("never recovered");
}

describe("RedisSessionStore when Redis is unreachable", () => {
  it("answers 503 while Redis is down and serves the same session again after it restarts", async () => {
    const redis = await startRedisServer({ appendonly: true });
    const { browser } = await startApp(redis.url);
    await browser.get("/increment");

    await redis.kill();
    for (const path of ["/read", "/increment", "/login", "/logout"]) {
      const response = await browser.get(path);
      expect(response.status).toBe(503);
      expect(response.body).toContain("unavailable");
      expect(response.setCookies).toEqual([]);
    }

    await redis.restart();
    await untilOk(() => browser.get("/read"));
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1 }, isFresh: false });
    expect(JSON.parse((await browser.get("/increment")).body)).toEqual({ count: 2 });
  });

  it("answers 503 when Redis is down before the first request, and connects once it is up", async () => {
    const redis = await startRedisServer();
    await redis.kill();
    const { browser } = await startApp(redis.url);
    expect((await browser.get("/increment")).status).toBe(503);
    expect((await browser.get("/increment")).status).toBe(503);

    await redis.restart();
    await untilOk(() => browser.get("/increment"));
    expect(JSON.parse((await browser.get("/read")).body).isFresh).toBe(false);
  });

  it("reopens a client whose reconnect strategy gave up, once Redis is back", async () => {
    const redis = await startRedisServer({ appendonly: true });
    const { browser, client } = await startApp(redis.url, false);
    await browser.get("/increment");

    await redis.kill();
    expect((await browser.get("/read")).status).toBe(503);
    await redis.restart();
    await untilOk(() => browser.get("/read"));
    expect(client.isReady).toBe(true);
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1 }, isFresh: false });
  });

  it("answers 503 instead of hanging when a connected Redis stops answering, and recovers when it resumes", async () => {
    const redis = await startRedisServer();
    const { browser } = await startApp(redis.url);
    await browser.get("/increment");

    redis.pause();
    try {
      expect((await browser.get("/read")).status).toBe(503);
    } finally {
      redis.resume();
    }
    await untilOk(() => browser.get("/read"));
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1 }, isFresh: false });
  });

  it("answers 503 when the server accepts connections but never speaks Redis", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as AddressInfo;
    const { browser } = await startApp(`redis://127.0.0.1:${port}`);
    browser.jar.set("session", "A".repeat(43));
    expect((await browser.get("/read")).status).toBe(503);
  });

  it("throws SessionStoreUnavailableError from the store itself, with the cause", async () => {
    const redis = await startRedisServer();
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } });
    cleanups.push(async () => client.destroy());
    const store = new RedisSessionStore({ userTagSecret, getClient: () => client, timeout: TIMEOUT_MS });
    const id = await store.save(null, {}, 60_000, {} as never);
    await redis.kill();
    // Until the client has seen the socket close, a command still goes out on it and times out instead.
    await vi.waitFor(() => expect(client.isReady).toBe(false), { timeout: 5_000, interval: 10 });
    const failure = await store.load(id, {} as never).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
    expect((failure as Error).message).toMatch(/Redis is not connected .*\. Nothing was sent to it; retry later\.$/);
  });
});
