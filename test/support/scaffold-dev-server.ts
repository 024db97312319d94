/**
 * A scaffolded app's own dev server (`npm run dev`), as its user starts it,
 * on a free port, with the store its variant needs: a throwaway
 * redis-server for Redis, a private database on the machine's PostgreSQL
 * (127.0.0.1:5432, dropped at stop) for PostgreSQL; Workers, Vercel and
 * Netlify run theirs locally by themselves.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface DevServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const POSTGRES_SERVER = `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;
const START_TIMEOUT_MS = 120_000;

export async function startDevServer(app: string, template: string, store: string | undefined, env: NodeJS.ProcessEnv): Promise<DevServer> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const port = await freePort();
    const storeEnv: Record<string, string> = {};
    if (template === "node-redis" && store === "postgres") {
      const database = await privateDatabase();
      cleanups.push(database.drop);
      storeEnv.DATABASE_URL = database.url;
    } else if (template === "node-redis") {
      const redis = await redisServer();
      cleanups.push(redis.stop);
      storeEnv.REDIS_URL = redis.url;
    }
    const args = template === "workers-kv" ? ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1"] : ["run", "dev"];
    const child = spawn("npm", args, {
      cwd: app,
      env: { ...env, ...storeEnv, PORT: String(port), HOST: "127.0.0.1", BROWSER: "none", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    cleanups.push(() => stopGroup(child));
    const url = `http://127.0.0.1:${port}`;
    await waitForPage(url, child, () => output);
    return { url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForPage(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited with code ${child.exitCode}:\n${output()}`);
    const status = await fetch(`${url}/`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`npm run dev did not serve ${url}/ within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

async function privateDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `scaffold_e2e_${randomBytes(6).toString("hex")}`;
  const onServer = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_SERVER });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_SERVER);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function redisServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "scaffold-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error("redis-server did not start");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
