/**
 * The stores whose backend is a server, in the runtimes their platforms
 * run: RedisSessionStore, PostgresSessionStore and NetlifyBlobsSessionStore
 * in Node, Deno and Bun, each on its real client (`redis`, `pg`,
 * `@netlify/blobs`) from node_modules. Starts what they talk to: a
 * redis-server of its own on a free port, a database of its own on the
 * machine's PostgreSQL (dropped afterwards) and Netlify's local Blobs server. The
 * entry is bundled next to node_modules with its packages left as imports,
 * so each runtime loads the clients, and the built package, as an app does.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BlobsServer } from "@netlify/blobs/server";
import { build } from "esbuild";
import pg from "pg";
import { findBinary, reportFromOutput, runProcess } from "./process.mjs";
import { runOne } from "./run-one.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const POSTGRES_ADMIN_URL = process.env.POSTGRES_TEST_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const BLOBS_TOKEN = "hattip-session-runtimes";

const withServices = (services) => ({ HATTIP_SESSION_SERVICES: JSON.stringify(services) });

function serviceRuntimes(services) {
  const env = withServices(services);
  return [
    {
      name: "node+servers",
      version: async () => process.version,
      run: async ({ servicesBundle }, timeoutMs) => reportFromOutput(await runProcess(process.execPath, [servicesBundle], { env, timeoutMs })),
    },
    {
      name: "deno+servers",
      async version() {
        const { stdout } = await runProcess(findBinary("deno"), ["--version"], { env: { NO_COLOR: "1" }, timeoutMs: 20_000 });
        return stdout.split("\n")[0].replace(/^deno /, "");
      },
      async run({ servicesBundle }, timeoutMs) {
        const denoDir = await mkdtemp(join(tmpdir(), "hattip-session-deno-"));
        try {
          // node_modules as npm left it (Deno's "bring your own node_modules"); nothing is fetched.
          const args = [
            "run",
            "--node-modules-dir=manual",
            "--no-remote",
            "--no-lock",
            "--no-prompt",
            "--allow-net=127.0.0.1",
            "--allow-env",
            servicesBundle,
          ];
          const quiet = { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1", DENO_DIR: denoDir };
          return reportFromOutput(await runProcess(findBinary("deno"), args, { env: { ...env, ...quiet }, timeoutMs }));
        } finally {
          await rm(denoDir, { recursive: true, force: true });
        }
      },
    },
    {
      name: "bun+servers",
      async version() {
        const { stdout } = await runProcess(findBinary("bun"), ["--version"], { env: { NO_COLOR: "1" }, timeoutMs: 20_000 });
        return stdout.trim();
      },
      run: async ({ servicesBundle }, timeoutMs) =>
        reportFromOutput(
          await runProcess(findBinary("bun"), ["--no-install", "run", servicesBundle], { env: { ...env, DO_NOT_TRACK: "1" }, timeoutMs }),
        ),
    },
  ];
}

/** Runs the entry in each runtime, one after another (they share the servers), and returns runOne's results. */
export async function runServiceStores() {
  const outDir = await mkdtemp(join(here, "..", ".services-"));
  const database = `hattip_session_runtimes_${crypto.randomUUID().replaceAll("-", "")}`;
  const blobsDir = await mkdtemp(join(tmpdir(), "hattip-session-runtimes-blobs-"));
  const blobs = new BlobsServer({ directory: blobsDir, token: BLOBS_TOKEN });
  let createdDatabase = false;
  let redis;
  try {
    const servicesBundle = join(outDir, "services.mjs");
    await build({
      entryPoints: [join(here, "..", "entries", "services.ts")],
      outfile: servicesBundle,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      // pg, @netlify/blobs, hattip-session (its build, through the workspace link) and Hattip load from node_modules.
      packages: "external",
      logLevel: "silent",
    });
    await adminQuery(`CREATE DATABASE ${database}`);
    createdDatabase = true;
    const { port } = await blobs.start();
    const postgresUrl = new URL(POSTGRES_ADMIN_URL);
    postgresUrl.pathname = `/${database}`;
    await createSessionsTable(postgresUrl.toString());
    redis = await startRedis();
    const services = {
      redis: redis.url,
      postgres: postgresUrl.toString(),
      blobs: { url: `http://127.0.0.1:${port}`, token: BLOBS_TOKEN, siteID: "hattip-session-runtimes" },
    };
    const results = [];
    for (const runtime of serviceRuntimes(services)) results.push(await runOne(runtime, { servicesBundle }));
    return results;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [{ name: "servers", version: "?", passed: 0, failed: 0, problems: [`could not start the servers: ${message}`] }];
  } finally {
    await blobs.stop().catch(() => undefined);
    redis?.stop();
    if (createdDatabase) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await rm(outDir, { recursive: true, force: true });
    await rm(blobsDir, { recursive: true, force: true });
  }
}

/** A redis-server of the run's own, on a free port, keeping nothing on disk; its URL and how to stop it. */
async function startRedis() {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = new Promise((_, reject) => child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`))));
  exited.catch(() => undefined);
  await Promise.race([answersPing(port), exited]);
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill("SIGKILL") };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server on `port` answers PING; gives up after 10 s. */
async function answersPing(port) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pong = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.setTimeout(500, () => socket.destroy());
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        socket.destroy();
        resolve(String(data).startsWith("+PONG"));
      });
      socket.once("error", () => resolve(false));
      socket.once("close", () => resolve(false));
    });
    if (pong) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createSessionsTable(url) {
  const { PostgresSessionStore } = await import("hattip-session");
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await new PostgresSessionStore({ client: pool }).createTable();
  } finally {
    await pool.end();
  }
}

async function adminQuery(text) {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
