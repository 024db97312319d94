/**
 * The stores whose backend is a server, in the runtimes their platforms
 * run: PostgresSessionStore and NetlifyBlobsSessionStore in Node, Deno and
 * Bun, each on its real client (`pg`, `@netlify/blobs`) from node_modules.
 * Starts what they talk to: a database of its own on the machine's
 * PostgreSQL (dropped afterwards) and Netlify's local Blobs server. The
 * entry is bundled next to node_modules with its packages left as imports,
 * so each runtime loads the clients, and the built package, as an app does.
 */
import { mkdtemp, rm } from "node:fs/promises";
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
    const services = {
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
    if (createdDatabase) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await rm(outDir, { recursive: true, force: true });
    await rm(blobsDir, { recursive: true, force: true });
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
