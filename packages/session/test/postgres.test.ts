/**
 * PostgresSessionStore against real PostgreSQL (a database of its own on
 * the machine's server), through node-postgres: the store contract, the
 * queries each request costs, what lies in the table, the cleaning of
 * expired rows, and a rotation racing a revoke-all, gated by a row lock
 * so that the interleaving is certain.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresSessionStore, SessionSetupError, postgresSessionTableSql, type PostgresClientLike } from "../src/index.js";
import { hashSessionId, userHash } from "../src/stores/session-id.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { describeStoreContract } from "./support/store-contract.js";

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 6 });
  await new PostgresSessionStore({ client: pool }).createTable();
}, 30_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** The pool, with every query it is sent counted (the store sees the same `query`). */
function countingClient(): PostgresClientLike & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    query: (text, values) => {
      queries.push(text.split(" ")[0]!.toUpperCase() === "WITH" ? "INSERT" : text.split(" ")[0]!.toUpperCase());
      return pool.query(text, values);
    },
  };
}

async function rowsOf(table = "hattip_sessions") {
  return (await pool.query(`SELECT id_hash, record, expires_at::text AS expires_at, user_hash, handle FROM ${table}`)).rows as {
    id_hash: string;
    record: string;
    expires_at: string;
    user_hash: string | null;
    handle: string | null;
  }[];
}

describeStoreContract({ name: "PostgresSessionStore", revocable: true, indexesUsers: true }, async () => ({
  store: new PostgresSessionStore({ client: pool }),
}));

describe("PostgresSessionStore over HTTP", () => {
  it("costs one query for a read-only request and one for each write, login and logout", async () => {
    const client = countingClient();
    const app = await serveSessionApp({ store: new PostgresSessionStore({ client }) });
    try {
      const browser = new CookieClient(app.url);
      const costOf = async (path: string) => {
        const before = client.queries.length;
        const response = await browser.get(path);
        expect(response.status).toBeLessThan(400);
        return client.queries.slice(before);
      };
      expect(await costOf("/read")).toEqual([]);
      expect(await costOf("/increment")).toEqual(["INSERT"]);
      expect(await costOf("/read")).toEqual(["SELECT"]);
      expect(await costOf("/increment")).toEqual(["SELECT", "UPDATE"]);
      expect(await costOf("/login?user=ada")).toEqual(["SELECT", "UPDATE"]);
      expect(await costOf("/read")).toEqual(["SELECT"]);
      expect(await costOf("/logout")).toEqual(["SELECT", "DELETE"]);
      expect(await costOf("/read")).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("keeps the SHA-256 of the ID in the table, never the ID, and the deadline in expires_at", async () => {
    const app = await serveSessionApp({ store: new PostgresSessionStore({ client: pool }) });
    try {
      const browser = new CookieClient(app.url);
      await browser.get("/increment");
      const id = browser.jar.get("session")!;
      const rows = await rowsOf();
      expect(rows.some((row) => JSON.stringify(row).includes(id))).toBe(false);
      const hashed = await hashSessionId(id);
      const stored = rows.find((row) => row.id_hash === hashed);
      expect(stored?.record).toMatch(/^2\|\d+\|\d+\|0\|\{"count":1\}$/);
      const weekFromNow = Date.now() + 7 * 24 * 3600 * 1000;
      expect(Math.abs(Number(stored!.expires_at) - weekFromNow)).toBeLessThan(10_000);
      expect(stored!.user_hash).toBeNull();
    } finally {
      await app.close();
    }
  });

  it("stores a bound user's hash and the session's handle in the index columns, never the user ID", async () => {
    const store = new PostgresSessionStore({ client: pool });
    const user = `user-${crypto.randomUUID()}`;
    const now = Date.now();
    const id = await store.createRecord({ data: {}, createdAt: now, expiresAt: now + 60_000, meta: { user, agent: "Firefox on Linux" } });
    const { rows } = await pool.query("SELECT user_hash, handle FROM hattip_sessions WHERE id_hash = $1", [await hashSessionId(id)]);
    expect(rows).toEqual([{ user_hash: await userHash(user), handle: await store.sessionHandle(id) }]);
    expect(rows[0].user_hash).not.toContain(user);
  });
});
