/**
 * The session store the tests run the app against: a private database,
 * created for this run on the PostgreSQL server at TEST_POSTGRES_URL
 * (default postgres://127.0.0.1:5432/postgres, the current user) and
 * dropped at stop(). The app creates its tables in it at start, as it does
 * in production.
 */
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import pg from "pg";
import { TEST_CACHE_KEYS, TEST_TAG_SECRET } from "./tag-secret.js";

export interface TestStore {
  /** As the tests name it, like "PostgreSQL". */
  name: string;
  /** The app's settings that point at it. */
  env: Record<string, string>;
  /** How the store knows each login session (keys, row hashes): never the session ID itself. */
  sessionKeys(): Promise<string[]>;
  /** Login attempt counters it holds now. */
  attemptCounters(): Promise<number>;
  /** Each user's recent security activity as the store holds it: its key, how many entries, when it expires, and the stored text. */
  activityLogs(): Promise<Array<{ key: string; entries: number; expiresInSeconds: number; stored: string }>>;
  /** One statement in the test's database. */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

const SERVER_URL = withUser(process.env.TEST_POSTGRES_URL || "postgres://127.0.0.1:5432/postgres");

/** libpq would take the login name from the system; node-postgres only from USER/PGUSER, which a CI shell may lack. */
function withUser(url: string): string {
  const parsed = new URL(url);
  if (!parsed.username) parsed.username = process.env.PGUSER || userInfo().username;
  return parsed.toString();
}

const INSTALL_HINT =
  "The tests need a PostgreSQL server they may create databases on, at TEST_POSTGRES_URL " +
  `(now ${SERVER_URL}). Start one, e.g. docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres, ` +
  "or set TEST_POSTGRES_URL=postgres://user:password@host:5432/postgres.";

export async function startStore(): Promise<TestStore> {
  const name = `hattip_app_test_${randomBytes(6).toString("hex")}`;
  await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // A connection the server ends while it sits idle in this pool (57P01: the database dropped WITH (FORCE), a
  // server restart) leaves the pool, and the next query opens another; unheard, node-postgres throws it
  // uncaught, and the test run fails though every test passed.
  pool.on("error", () => {});
  const tableExists = async (table: string) => (await pool.query("SELECT to_regclass($1) AS found", [table])).rows[0]?.found !== null;
  return {
    name: "PostgreSQL",
    env: { DATABASE_URL: url.toString(), SESSION_TAG_SECRET: TEST_TAG_SECRET, SESSION_CACHE_KEYS: TEST_CACHE_KEYS },
    async sessionKeys() {
      if (!(await tableExists("hattip_sessions"))) return [];
      const { rows } = await pool.query<{ id_hash: string }>("SELECT id_hash FROM hattip_sessions WHERE expires_at > $1", [Date.now()]);
      return rows.map((row) => row.id_hash);
    },
    async attemptCounters() {
      if (!(await tableExists("hattip_login_attempts"))) return 0;
      return Number((await pool.query("SELECT count(*) AS n FROM hattip_login_attempts")).rows[0]?.n ?? 0);
    },
    query: (text, values) => pool.query(text, values),
    async activityLogs() {
      if (!(await tableExists("hattip_security_activity"))) return [];
      const { rows } = await pool.query<{ user_key: string; entries: string; expires_in: number; stored: string }>(
        `SELECT user_key, count(*) AS entries, extract(epoch FROM max(expires_at) - now())::float8 AS expires_in, string_agg(entry::text, ',') AS stored
         FROM hattip_security_activity GROUP BY user_key`,
      );
      return rows.map((row) => ({ key: row.user_key, entries: Number(row.entries), expiresInSeconds: row.expires_in, stored: row.stored }));
    },
    async stop() {
      await pool.end();
      await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`${INSTALL_HINT}\n(${(error as Error).message})`);
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
