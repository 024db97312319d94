/**
 * A PostgreSQL write the store reported as failed must not land later: not
 * over newer data another instance wrote meanwhile, and not as a login's
 * rotation that signs the user out after they were told it failed. Two
 * ways a statement outlives its request, each with the real server:
 * - the pool is busy (its one connection held by the test): the statement
 *   waits in node-postgres's queue past the store's timeout;
 * - the server is frozen (SIGSTOP on a private cluster): the statement sits
 *   in the server's socket and runs when it resumes.
 * Each request is parked after its session is loaded (a gate), so that only
 * its write meets the busy pool or the frozen server.
 */
import { compose, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isSessionError, PostgresSessionStore, session } from "../src/index.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { Gate } from "./support/gate.js";
import { createTestDatabase, startPostgresCluster, type PostgresCluster, type TestDatabase } from "./support/postgres.js";
import { serve } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

const TIMEOUT_MS = 300;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** An instance of the app on its own pool: a store error answers 503 with the error's message. */
async function instance(connectionString: string, gates: Map<string, Gate>, poolSize = 1) {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  cleanups.push(() => pool.end());
  const store = new PostgresSessionStore({ userTagSecret, client: pool, timeout: TIMEOUT_MS });
  const routes: RequestHandler = async (ctx) => {
    const gate = ctx.url.searchParams.get("gate");
    if (gate !== null) await gates.get(gate)!.enter();
    return sessionRoutes(ctx);
  };
  const served = await serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) =>
          isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE")
            ? new Response(error.message, { status: 503 })
            : new Response(`unexpected: ${String(error)}`, { status: 500 });
      },
      cookie(),
      session({ store }),
      routes,
    ),
  );
  cleanups.push(() => served.close());
  /** Resolves once every connection of the pool is back and idle: a statement queued or in flight has run. */
  const settled = async () => {
    for (let attempt = 0; attempt < 200 && (pool.waitingCount > 0 || pool.idleCount < pool.totalCount); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect({ waiting: pool.waitingCount, busy: pool.totalCount - pool.idleCount }).toEqual({ waiting: 0, busy: 0 });
  };
  return { pool, store, url: served.url, settled };
}

/** A browser whose cookie goes to every instance (one site behind a load balancer). */
function browserOn(url: string, jar?: Map<string, string>): CookieClient {
  const browser = new CookieClient(url);
  for (const [name, value] of jar ?? []) browser.jar.set(name, value);
  return browser;
}

const bodyOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

/** Starts `path` on `browser`, parked at a fresh gate once its session is loaded. */
async function parked(browser: CookieClient, gates: Map<string, Gate>, path: string) {
  const name = crypto.randomUUID();
  const gate = new Gate();
  gates.set(name, gate);
  const response = browser.get(`${path}${path.includes("?") ? "&" : "?"}gate=${name}`);
  await gate.entered;
  return { gate, response };
}

describe("PostgresSessionStore with its pool busy past the timeout", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url });
    await new PostgresSessionStore({ client: pool }).createTable();
    await pool.end();
  }, 30_000);
  afterAll(() => database?.drop());

  it("never sends an update that timed out waiting for a connection: another instance's newer write stands", async () => {
    const gates = new Map<string, Gate>();
    const [a, b] = [await instance(database.url, gates), await instance(database.url, gates, 4)];
    const onA = browserOn(a.url);
    expect(bodyOf(await onA.get("/push?item=first")).items).toEqual(["first"]);
    const onB = browserOn(b.url, onA.jar);

    const { gate, response } = await parked(onA, gates, "/push?item=late");
    const held = await a.pool.connect();
    gate.release();
    const failed = await response;
    expect(failed.status).toBe(503);
    // Another instance writes newer data; then the pool frees up.
    expect(bodyOf(await onB.get("/push?item=newer")).items).toEqual(["first", "newer"]);
    held.release();
    await a.settled();
    expect(bodyOf(await onB.get("/read")).data).toEqual({ items: ["first", "newer"] });
    expect(failed.body).toMatch(/had no free connection within 300 ms: nothing was sent/);
  });

  it("never sends a login's rotation that timed out waiting for a connection: the user stays signed in", async () => {
    const gates = new Map<string, Gate>();
    const a = await instance(database.url, gates);
    const browser = browserOn(a.url);
    await browser.get("/login?user=ada");
    const signedIn = browser.jar.get("session")!;

    const { gate, response } = await parked(browser, gates, "/login?user=ada");
    const held = await a.pool.connect();
    gate.release();
    expect((await response).status).toBe(503);
    held.release();
    await a.settled();
    expect(browser.jar.get("session")).toBe(signedIn);
    expect(bodyOf(await browser.get("/read"))).toEqual({ data: { user: "ada" }, isFresh: false });
  });
});

describe("PostgresSessionStore with the server frozen past the timeout", () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
    const pool = new pg.Pool({ connectionString: cluster.url });
    await new PostgresSessionStore({ client: pool }).createTable();
    await pool.end();
  }, 60_000);
  afterAll(() => cluster?.destroy());
  afterEach(() => cluster.resume());

  /** A browser on an instance, signed in (or not) by `setup`; its cookie then. */
  async function prepared(setup: string) {
    const gates = new Map<string, Gate>();
    const a = await instance(cluster.url, gates);
    const browser = browserOn(a.url);
    await browser.get(setup);
    return { gates, a, browser, cookie: browser.jar.get("session")! };
  }

  /** `path`, its session loaded, then sent to a frozen server: its 503, once the server has resumed and got to it. */
  async function failedWhileFrozen({ gates, a, browser }: Awaited<ReturnType<typeof prepared>>, path: string) {
    const { gate, response } = await parked(browser, gates, path);
    await cluster.pause();
    gate.release();
    const failed = await response;
    expect(failed.status).toBe(503);
    await cluster.resume();
    await a.settled();
    return failed;
  }

  it("refuses an update the frozen server gets to after the deadline: the session keeps what it had", async () => {
    const app = await prepared("/push?item=first");
    const failed = await failedWhileFrozen(app, "/push?item=late");
    expect(bodyOf(await app.browser.get("/read")).data).toEqual({ items: ["first"] });
    expect(failed.body).toMatch(/did not answer within 300 ms: this session write was not saved, unless PostgreSQL began it before that deadline/);
  });

  it("refuses a login's rotation the frozen server gets to after the deadline: the user stays signed in", async () => {
    const app = await prepared("/login?user=ada");
    await failedWhileFrozen(app, "/login?user=ada");
    expect(app.browser.jar.get("session")).toBe(app.cookie);
    expect(bodyOf(await app.browser.get("/read"))).toEqual({ data: { user: "ada" }, isFresh: false });
  });

  it("says that a logout sent to a frozen server may still end the session, and it does", async () => {
    const app = await prepared("/login?user=ada");
    const failed = await failedWhileFrozen(app, "/logout");
    const replay = browserOn(app.a.url, new Map([["session", app.cookie]]));
    expect(bodyOf(await replay.get("/read"))).toEqual({ data: {}, isFresh: true });
    expect(failed.body).toMatch(/did not answer within 300 ms: the session may still be ended when it does/);
  });
});
