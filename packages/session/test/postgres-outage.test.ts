/**
 * PostgreSQL going away and coming back, with a private cluster this file
 * starts (initdb, pg_ctl) on a free port: requests fail within the store's
 * timeout with SessionStoreUnavailableError (a 503 here, as the templates
 * answer), the process stays up, and the same pg.Pool serves again once
 * the server is back, with no restart of the app.
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresSessionStore, SessionStoreUnavailableError, session } from "../src/index.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { startPostgresCluster, type PostgresCluster } from "./support/postgres.js";
import { serve } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

// Generous for a loaded CI machine; still far below the test timeout.
const TIMEOUT_MS = 1000;
/** What a 503 may take beyond the store's timeout: the HTTP round trip and a busy machine. */
const SLACK_MS = 750;

let cluster: PostgresCluster;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  cluster = await startPostgresCluster();
  const pool = new pg.Pool({ connectionString: cluster.url });
  await new PostgresSessionStore({ userTagSecret, client: pool }).createTable();
  await pool.end();
}, 60_000);
afterAll(() => cluster?.destroy());
afterEach(async () => {
  await cluster.resume();
  await cluster.start().catch(() => undefined);
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function startApp() {
  const pool = new pg.Pool({ connectionString: cluster.url, connectionTimeoutMillis: TIMEOUT_MS, max: 4 });
  cleanups.push(() => pool.end());
  const store = new PostgresSessionStore({ userTagSecret, client: pool, timeout: TIMEOUT_MS });
  const served = await serve(
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
  return { browser: new CookieClient(served.url), store, pool };
}

/** Polls until the request succeeds; the attempt cap is the test's only bound. */
async function untilOk(request: () => Promise<{ status: number }>): Promise<number> {
  const started = Date.now();
  for (let attempt = 1; attempt <= 100; attempt++) {
    if ((await request()).status === 200) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("never recovered");
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe("PostgresSessionStore when PostgreSQL is unreachable", () => {
  it("answers 503 within the timeout while the server is stopped, and serves the same session once it is started again", async () => {
    const { browser } = await startApp();
    await browser.get("/increment");
    await browser.get("/login?user=ada");

    await cluster.stop();
    for (const path of ["/read", "/increment", "/login", "/logout"]) {
      const { value: response, ms } = await timed(() => browser.get(path));
      expect(response.status, path).toBe(503);
      expect(response.body).toContain("unavailable");
      expect(response.setCookies).toEqual([]);
      expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    }

    await cluster.start();
    await untilOk(() => browser.get("/read"));
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1, user: "ada" }, isFresh: false });
    expect(JSON.parse((await browser.get("/increment")).body)).toEqual({ count: 2, user: "ada" });
  });

  it("answers 503 within the timeout while the server is frozen, and recovers when it resumes", async () => {
    const { browser } = await startApp();
    await browser.get("/increment");

    await cluster.pause();
    try {
      for (const path of ["/read", "/increment"]) {
        const { value: response, ms } = await timed(() => browser.get(path));
        expect(response.status, path).toBe(503);
        expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      }
    } finally {
      await cluster.resume();
    }
    await untilOk(() => browser.get("/read"));
    expect(JSON.parse((await browser.get("/read")).body)).toEqual({ data: { count: 1 }, isFresh: false });
  });

  it("answers 503 when the server is down before the first request, and serves once it is up", async () => {
    await cluster.stop();
    const { browser } = await startApp();
    expect((await browser.get("/increment")).status).toBe(503);
    await cluster.start();
    await untilOk(() => browser.get("/increment"));
    expect(JSON.parse((await browser.get("/read")).body).isFresh).toBe(false);
  });

  it("throws SessionStoreUnavailableError from the store itself, with the driver's error as the cause", async () => {
    const { store } = await startApp();
    const id = await store.save(null, { count: 1 }, 60_000);
    await cluster.stop();
    const failure = await store.load(id).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
    expect((failure as Error).message).toMatch(/PostgreSQL .*retry later/);
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });
});
