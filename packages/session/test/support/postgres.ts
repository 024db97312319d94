/**
 * Real PostgreSQL for tests, two ways:
 * - `createTestDatabase()`: a database of its own, uniquely named, on the
 *   machine's server (127.0.0.1:5432, trust auth), dropped afterwards;
 * - `startPostgresCluster()`: a private cluster made with the installed
 *   server binaries (initdb, pg_ctl) on a free port, which a test may stop,
 *   start again, or freeze, as the outage tests do.
 * Every wait is bounded. The server refuses to run as root, so as root the
 * cluster runs as the `postgres` user.
 */
import { execFile } from "node:child_process";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
const BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";
const SHARED_SERVER = process.env.POSTGRES_TEST_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const COMMAND_TIMEOUT_MS = 30_000;

export interface TestDatabase {
  /** A connection string to the new database. */
  url: string;
  name: string;
  /** Drops the database, ending any connection to it first. Idempotent. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hattip_session_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await adminQuery(SHARED_SERVER, `CREATE DATABASE ${name}`);
  const url = new URL(SHARED_SERVER);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(SHARED_SERVER, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface PostgresCluster {
  readonly port: number;
  /** A connection string to its `postgres` database. */
  readonly url: string;
  /** `pg_ctl stop -m fast`: connections are closed, the port refuses. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Freezes the postmaster and every backend (SIGSTOP): connections stay open, nothing answers. */
  pause(): Promise<void>;
  /** Undoes pause() (SIGCONT). */
  resume(): Promise<void>;
  /** Stops it for good and deletes its folder. Idempotent. */
  destroy(): Promise<void>;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const owner = await serverUser();
  if (owner) await chown(dir, owner.uid, owner.gid);
  const asServer = (command: string, args: string[]) => run(join(BIN, command), args, { timeout: COMMAND_TIMEOUT_MS, cwd: dir, ...(owner ?? {}) });

  await asServer("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories='${dir}' -c fsync=off -c max_connections=40`;
  const start = async () => {
    await asServer("pg_ctl", ["start", "-D", data, "-w", "-t", "20", "-l", join(dir, "log"), "-o", options]);
  };
  const stop = async () => {
    await asServer("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "20"]).catch(() => undefined);
  };
  // The postmaster and every backend: a frozen postmaster alone still lets open connections answer.
  const signalAll = async (signal: "SIGSTOP" | "SIGCONT") => {
    for (const pid of await clusterPids(data)) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        // A backend that ended between the listing and the signal (its client hung up) has nothing to stop or wake.
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    }
  };
  await start();
  let destroyed = false;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    pause: () => signalAll("SIGSTOP"),
    resume: () => signalAll("SIGCONT"),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await signalAll("SIGCONT").catch(() => undefined);
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The postmaster of `data` (first line of postmaster.pid) and its children. */
async function clusterPids(data: string): Promise<number[]> {
  const pidFile = await readFile(join(data, "postmaster.pid"), "utf8").catch(() => "");
  const postmaster = Number(pidFile.split("\n")[0]);
  if (!Number.isSafeInteger(postmaster) || postmaster <= 0) return [];
  const { stdout } = await run("pgrep", ["-P", String(postmaster)], { timeout: 5_000 }).catch(() => ({ stdout: "" }));
  return [postmaster, ...stdout.split("\n").filter(Boolean).map(Number)];
}

async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid), gid: Number(gid) };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
