/**
 * PostgresSessionStore against real PostgreSQL (a database of its own on
 * the machine's server), through node-postgres: the store contract, the
 * queries each request costs, what lies in the table, the cleaning of
 * expired rows, and a rotation racing a revoke-all, gated by a row lock
 * so that the interleaving is certain.
 */
import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LISTED_USER_SESSIONS, PostgresSessionStore, SessionSetupError, postgresSessionTableSql, type PostgresClientLike } from "../src/index.js";
import { hashSessionId } from "../src/stores/session-id.js";
import { userHash } from "./support/user-tags.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { describeStoreContract } from "./support/store-contract.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 6 });
  await new PostgresSessionStore({ userTagSecret, client: pool }).createTable();
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
      // A guarded write is `WITH guard AS (...), ..., written AS (<its statement> ...) SELECT ...`: named by that statement.
      queries.push((/written AS \((\w+)/.exec(text)?.[1] ?? text.split(" ")[0]!).toUpperCase());
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

describeStoreContract({ name: "PostgresSessionStore", revocable: true, indexesUsers: true, tagsUsers: true }, async () => {
  const make = (secret: string | undefined) => new PostgresSessionStore<Record<string, unknown>>({ userTagSecret: secret, client: pool });
  return { store: make(userTagSecret), withUserTagSecret: make };
});

describe("PostgresSessionStore over HTTP", () => {
  it("costs one query for a read-only request and one for each write, login and logout", async () => {
    const client = countingClient();
    const app = await serveSessionApp({ store: new PostgresSessionStore({ userTagSecret, client }) });
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
    const app = await serveSessionApp({ store: new PostgresSessionStore({ userTagSecret, client: pool }) });
    try {
      const browser = new CookieClient(app.url);
      await browser.get("/increment");
      const id = browser.jar.get("session")!;
      const rows = await rowsOf();
      expect(rows.some((row) => JSON.stringify(row).includes(id))).toBe(false);
      const hashed = await hashSessionId(id);
      const stored = rows.find((row) => row.id_hash === hashed);
      expect(stored?.record).toMatch(/^3\.[0-9a-z]+\.[0-9a-z]+\.0\.\{"count":1\}$/);
      const weekFromNow = Date.now() + 7 * 24 * 3600 * 1000;
      expect(Math.abs(Number(stored!.expires_at) - weekFromNow)).toBeLessThan(10_000);
      expect(stored!.user_hash).toBeNull();
    } finally {
      await app.close();
    }
  });

  it("stores a bound user's hash and the session's handle in the index columns, never the user ID", async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool });
    const user = `user-${crypto.randomUUID()}`;
    const now = Date.now();
    const id = await store.createRecord({ data: {}, createdAt: now, expiresAt: now + 60_000, meta: { user, agent: "Firefox on Linux" } });
    const { rows } = await pool.query("SELECT user_hash, handle FROM hattip_sessions WHERE id_hash = $1", [await hashSessionId(id)]);
    expect(rows).toEqual([{ user_hash: await userHash(user), handle: await store.sessionHandle(id) }]);
    expect(rows[0].user_hash).not.toContain(user);
  });
});

describe("PostgresSessionStore's list of a user's sessions", () => {
  it(`fetches only the ${MAX_LISTED_USER_SESSIONS} rows with the latest deadlines from the database, and revokes every row`, async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool });
    const fetched: number[] = [];
    const listing = new PostgresSessionStore({
      userTagSecret,
      client: {
        async query(text, values) {
          const result = await pool.query(text, values);
          if (text.startsWith("SELECT handle")) fetched.push(result.rows.length);
          return result;
        },
      },
    });
    const user = `user-${crypto.randomUUID()}`;
    const now = Date.now();
    const record = (i: number) => ({ data: {}, createdAt: now, expiresAt: now + 60_000 + i, meta: { user, agent: `device ${i}` } });
    await Promise.all(Array.from({ length: MAX_LISTED_USER_SESSIONS + 30 }, (_, i) => store.createRecord(record(i))));
    const listed = await listing.listUserSessions(user);
    expect(fetched).toEqual([MAX_LISTED_USER_SESSIONS]);
    expect(listed.map((session) => session.device)).not.toContain("device 29");
    expect(listed.map((session) => session.device)).toContain("device 30");
    await store.revokeUserSessions(user);
    expect((await pool.query("SELECT count(*)::int AS n FROM hattip_sessions WHERE user_hash = $1", [await userHash(user)])).rows[0].n).toBe(0);
  });
});

/**
 * Holds the row of session `id` locked from a transaction of its own, so
 * that the statements under test queue on it in a known order; `release()`
 * commits and lets them run, first come first served.
 */
async function lockRow(id: string) {
  const holder = new pg.Client({ connectionString: database.url });
  await holder.connect();
  await holder.query("BEGIN");
  const { rowCount } = await holder.query("SELECT 1 FROM hattip_sessions WHERE id_hash = $1 FOR UPDATE", [await hashSessionId(id)]);
  expect(rowCount).toBe(1);
  const waitingOnLocks = async () =>
    Number(
      (await pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n,
    );
  return {
    /** Resolves once `count` statements wait on a lock. */
    async untilWaiting(count: number) {
      for (let attempt = 0; attempt < 200; attempt++) {
        if ((await waitingOnLocks()) >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`${count} statements never queued on the lock`);
    },
    async release() {
      await holder.query("COMMIT");
      await holder.end();
    },
  };
}

describe("PostgresSessionStore under concurrent statements (gated by a row lock)", () => {
  const bound = (user: string, agent = "A") => {
    const now = Date.now();
    return { data: { user }, createdAt: now, expiresAt: now + 60_000, meta: { user, agent, seenAt: now } };
  };

  it("a revoke-all queued behind a login's rotation ends the rotated session too", async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool });
    const user = `user-${crypto.randomUUID()}`;
    const old = await store.createRecord(bound(user));
    const lock = await lockRow(old);
    const rotation = store.rotateRecord(old, bound(user, "B"));
    await lock.untilWaiting(1);
    const revokeAll = store.revokeUserSessions(user);
    await lock.untilWaiting(2);
    await lock.release();
    const rotated = await rotation;
    await revokeAll;
    expect(rotated).not.toBeNull();
    expect(await store.load(rotated!)).toBeNull();
    expect(await store.load(old)).toBeNull();
    expect(await store.listUserSessions(user)).toEqual([]);
  });

  it("a rotation queued behind a revoke-all is refused and stores nothing", async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool });
    const user = `user-${crypto.randomUUID()}`;
    const old = await store.createRecord(bound(user));
    const lock = await lockRow(old);
    const revokeAll = store.revokeUserSessions(user);
    await lock.untilWaiting(1);
    const rotation = store.rotateRecord(old, bound(user, "B"));
    await lock.untilWaiting(2);
    await lock.release();
    await revokeAll;
    expect(await rotation).toBeNull();
    expect(await store.listUserSessions(user)).toEqual([]);
  });

  it("a rolling refresh queued behind a revoke writes nothing, and one queued before it is revoked with it", async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool });
    const user = `user-${crypto.randomUUID()}`;
    const first = await store.createRecord(bound(user));
    const second = await store.createRecord(bound(user));

    let lock = await lockRow(first);
    const revoke = store.revokeUserSession(user, await store.sessionHandle(first));
    await lock.untilWaiting(1);
    const lateRefresh = store.updateRecord(first, bound(user));
    await lock.untilWaiting(2);
    await lock.release();
    await revoke;
    expect(await lateRefresh).toBeNull();
    expect(await store.load(first)).toBeNull();

    lock = await lockRow(second);
    const earlyRefresh = store.updateRecord(second, bound(user));
    await lock.untilWaiting(1);
    const revokeAll = store.revokeUserSessions(user);
    await lock.untilWaiting(2);
    await lock.release();
    expect(await earlyRefresh).toBe(second);
    await revokeAll;
    expect(await store.load(second)).toBeNull();
  });

  it("a logout queued before a regenerate wins: the regenerate is refused", async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool });
    const id = await store.save(null, { count: 1 }, 60_000);
    const lock = await lockRow(id);
    const logout = store.destroyRecord(id);
    await lock.untilWaiting(1);
    const regenerate = store.rotateRecord(id, bound("ada"));
    await lock.untilWaiting(2);
    await lock.release();
    expect(await logout).toBe(true);
    expect(await regenerate).toBeNull();
    expect(await store.load(id)).toBeNull();
  });
});

describe("PostgresSessionStore's table", () => {
  const expiredRow = (table: string, i: number, expiresAt: number) =>
    pool.query(`INSERT INTO ${table} (id_hash, record, expires_at) VALUES ($1, $2, $3)`, [`expired-${i}`, `2|0|${expiresAt}|0|{}`, expiresAt]);

  async function freshTable(options: { sweepLimit?: number } = {}) {
    const table = `sessions_${crypto.randomUUID().replaceAll("-", "")}`;
    const store = new PostgresSessionStore({ userTagSecret, client: pool, table, ...options });
    await store.createTable();
    return { table, store };
  }

  it("is created with its indexes by createTable(), which can run again", async () => {
    const { table, store } = await freshTable();
    await store.createTable();
    const { rows } = await pool.query("SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname", [table]);
    expect(rows.map((row) => row.indexdef)).toEqual([
      expect.stringMatching(/INDEX .*_expires_at_idx .* USING btree \(expires_at\)$/),
      expect.stringMatching(/UNIQUE INDEX .*_pkey .* USING btree \(id_hash\)$/),
      expect.stringMatching(/INDEX .*_user_hash_idx .* USING btree \(user_hash\) WHERE \(user_hash IS NOT NULL\)$/),
    ]);
  });

  it("is the table the README shows", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const shown = /```sql\n([\s\S]*?)\n```/.exec(readme.slice(readme.indexOf("### `PostgresSessionStore(")))?.[1];
    expect(shown).toBe(postgresSessionTableSql());
  });

  it("takes a schema-qualified name and refuses one that is not a plain identifier", async () => {
    await pool.query("CREATE SCHEMA IF NOT EXISTS auth");
    const store = new PostgresSessionStore({ userTagSecret, client: pool, table: "auth.sessions" });
    await store.createTable();
    const id = await store.save(null, { count: 1 }, 60_000);
    expect((await pool.query("SELECT count(*)::int AS n FROM auth.sessions")).rows[0].n).toBe(1);
    expect(await store.load(id)).toEqual({ count: 1 });
    expect(postgresSessionTableSql("auth.sessions")).toContain('CREATE TABLE IF NOT EXISTS "auth"."sessions"');
    for (const table of ["sessions; DROP TABLE x", 'a"b', "a.b.c", "", "1abc", "x".repeat(64)]) {
      expect(() => new PostgresSessionStore({ userTagSecret, client: pool, table })).toThrow(SessionSetupError);
    }
  });

  it("a missing table is a SessionSetupError that names the fix", async () => {
    const store = new PostgresSessionStore({ userTagSecret, client: pool, table: "no_such_table" });
    await expect(store.load("A".repeat(43))).rejects.toThrow(SessionSetupError);
    await expect(store.save(null, {}, 60_000)).rejects.toThrow(/createTable\(\)/);
  });

  it("each new session deletes up to sweepLimit expired rows, oldest first, and no live one", async () => {
    const { table, store } = await freshTable({ sweepLimit: 4 });
    const now = Date.now();
    for (let i = 0; i < 6; i++) await expiredRow(table, i, now - 10_000 + i);
    const live = await store.save(null, { count: 7 }, 60_000);
    const left = async () => (await pool.query(`SELECT id_hash FROM ${table} ORDER BY expires_at`)).rows.map((row) => row.id_hash);
    expect(await left()).toEqual(["expired-4", "expired-5", await hashSessionId(live)]);
    await store.save(null, { count: 7 }, 60_000);
    expect((await left()).filter((id) => id.startsWith("expired-"))).toEqual([]);
    expect(await store.load(live)).toEqual({ count: 7 });
  });

  it("deleteExpired() deletes every expired row and no live one; sweepLimit 0 leaves them to it", async () => {
    const { table, store } = await freshTable({ sweepLimit: 0 });
    const now = Date.now();
    for (let i = 0; i < 25; i++) await expiredRow(table, i, now - 1_000);
    const live = await store.save(null, { count: 7 }, 60_000);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(26);
    expect(await store.deleteExpired()).toBe(25);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(1);
    expect(await store.load(live)).toEqual({ count: 7 });
  });

  it("a row that is not a session record loads as no session, not an error", async () => {
    const { table, store } = await freshTable();
    const id = await store.save(null, { count: 1 }, 60_000);
    for (const record of ["not a record", `2|${Date.now()}|${Date.now() + 60_000}|0|{oops`, `2|${Date.now()}|${Date.now() + 60_000}|0|null`]) {
      await pool.query(`UPDATE ${table} SET record = $1`, [record]);
      expect(await store.load(id)).toBeNull();
    }
  });
});
