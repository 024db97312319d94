/**
 * `storeUnavailable` on every store that can be unavailable: each server
 * store with its backend failing for real (Redis, PostgreSQL and Blobs
 * clients of a port nothing listens on; workerd's KV refusing keys longer
 * than it accepts; a Durable Object that throws). The event names
 * the store, the operation and the codes, reaches session()'s listeners
 * with the request and the store's own for the calls the app makes on it,
 * and carries nothing of the session.
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { getStore } from "@netlify/blobs";
import { Miniflare } from "miniflare";
import { createServer } from "node:net";
import pg from "pg";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DurableObjectSessionStore,
  KvSessionStore,
  NetlifyBlobsSessionStore,
  PostgresSessionStore,
  RedisSessionStore,
  session,
  type DurableObjectNamespaceLike,
  type KvNamespaceLike,
  type SessionEventListeners,
  type SessionStore,
  type UserSessionIndex,
} from "../src/index.js";
import { eventRecorder, expectNoSecrets, WatchedClient } from "./support/events.js";
import { serve, type Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

/** A port nothing listens on (one the system gave and took back), so every connection is refused at once. */
let nowhere: string;
const TIMEOUT_MS = 500;

let workerd: Miniflare;
let kv: KvNamespaceLike;
let objects: DurableObjectNamespaceLike;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  nowhere = `127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise((resolve) => probe.close(resolve));
  // A Durable Object whose every call throws, as one that is overloaded or broken does.
  workerd = new Miniflare({
    modules: true,
    script: "export class Failing { fetch() { throw new Error('overloaded'); } }\nexport default { fetch: () => new Response('') };",
    kvNamespaces: ["SESSIONS"],
    durableObjects: { OBJECTS: "Failing" },
    compatibilityDate: "2025-06-01",
  });
  kv = (await workerd.getKVNamespace("SESSIONS")) as unknown as KvNamespaceLike;
  objects = (await workerd.getDurableObjectNamespace("OBJECTS")) as unknown as DurableObjectNamespaceLike;
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await workerd?.dispose();
});
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

const outOfReach: { name: string; make(events: SessionEventListeners): SessionStore & UserSessionIndex; cause?: string }[] = [
  {
    name: "RedisSessionStore",
    make: (events) => {
      const client = createClient({ url: `redis://${nowhere}`, socket: { reconnectStrategy: false } });
      return new RedisSessionStore({ userTagSecret, getClient: () => client, timeout: TIMEOUT_MS, events });
    },
    cause: "ECONNREFUSED",
  },
  {
    name: "PostgresSessionStore",
    make: (events) => {
      const pool = new pg.Pool({ connectionString: `postgres://postgres@${nowhere}/sessions`, connectionTimeoutMillis: TIMEOUT_MS });
      pools.push(pool);
      return new PostgresSessionStore({ userTagSecret, client: pool, timeout: TIMEOUT_MS, events });
    },
    cause: "ECONNREFUSED",
  },
  {
    name: "NetlifyBlobsSessionStore",
    make: (events) => {
      const url = `http://${nowhere}`;
      const blobs = getStore({ name: "sessions", siteID: "site", token: "token", edgeURL: url, uncachedEdgeURL: url });
      return new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => blobs, timeout: TIMEOUT_MS, events });
    },
    cause: "ECONNREFUSED",
  },
  {
    name: "KvSessionStore",
    // Keys longer than the 512 bytes KV accepts: every call fails in workerd's KV itself.
    make: (events) => new KvSessionStore({ userTagSecret, getStore: () => kv, prefix: "x".repeat(600), events }),
  },
  {
    name: "DurableObjectSessionStore",
    make: (events) => new DurableObjectSessionStore({ userTagSecret, getNamespace: () => objects, timeout: TIMEOUT_MS, events }),
  },
];

describe.each(outOfReach)("storeUnavailable with $name", (subject) => {
  it("is reported to session()'s listeners with the request when a request's load fails, and the request fails as it would without them", async () => {
    const recorder = eventRecorder();
    const served = await serve(compose(cookie(), session({ store: subject.make({}), events: recorder.listeners }), () => new Response("ok")));
    running.push(served);
    const secrets = new Set<string>();
    const tab = new WatchedClient(served.url, secrets);
    tab.jar.set("session", "A".repeat(43));
    expect((await tab.get("/")).status).toBe(500);
    expect(recorder.heard).toHaveLength(1);
    const [{ event, ctx }] = recorder.heard as [(typeof recorder.heard)[number]];
    expect(event).toEqual({
      type: "storeUnavailable",
      at: expect.any(Number),
      store: subject.name,
      cookieName: "session",
      operation: "load",
      code: "ERR_SESSION_STORE_UNAVAILABLE",
      cause: subject.cause,
    });
    expect(ctx?.url.pathname).toBe("/");
    expectNoSecrets([event], secrets);
  });

  it("is reported to the store's own listeners, with no request, when a call the app makes on the store fails", async () => {
    const recorder = eventRecorder();
    const store = subject.make(recorder.listeners);
    await expect(store.revokeUserSessions("ada")).rejects.toMatchObject({ code: "ERR_SESSION_STORE_UNAVAILABLE" });
    expect(recorder.heard).toEqual([
      {
        event: expect.objectContaining({ type: "storeUnavailable", store: subject.name, cookieName: undefined, operation: "revoke" }),
        ctx: undefined,
      },
    ]);
  });
});
