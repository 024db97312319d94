/**
 * Runs the edge function in a real Deno (the `deno` npm package), offline,
 * on a free loopback port, with its sessions in Netlify's own local Blobs
 * server (scripts/local-blobs.ts), files in a fresh temp folder. By default the app is
 * bundled with esbuild into one file, as `npm run dev` does; with
 * `source: true` Deno runs the TypeScript files as they are and reads npm
 * packages from node_modules, as Netlify's bundler resolves them.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getStore } from "@netlify/blobs";
import { build } from "esbuild";
import { denoEnv, denoExecutable, denoRunArgs, denoRunSourceArgs, localServerBuild, PUBLIC_DIR } from "../../scripts/deno.ts";
import { startLocalBlobs } from "../../scripts/local-blobs.ts";
import { ACTIVITY_STORE, SESSIONS_STORE } from "../../src/sessions-blobs.ts";

export interface RunningApp {
  url: string;
  /** The blobs in the sessions store now (live sessions, and tombstones of a login in progress). */
  storedSessions(): Promise<string[]>;
  /** Every blob of the `security-activity` store: its key, and the log it holds, as JSON. */
  storedActivity(): Promise<Array<{ key: string; blob: unknown }>>;
  /**
   * Cuts the function off from Blobs for the rest of the run: every open
   * connection is dropped at once and new ones are refused. (Stopping the
   * Blobs server itself waits for the function's keep-alive connections, an
   * unbounded wait while its Blobs client keeps using them.)
   */
  stopBlobs(): Promise<void>;
  stop(): Promise<void>;
}

const localServerEntry = fileURLToPath(new URL("../../dev/local-server.ts", import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;

export interface StartOptions {
  /** `development` is `npm run dev`, which turns the demo user on. */
  mode?: "development" | "production";
  /** Extra or overriding environment variables for the function. */
  env?: Record<string, string>;
  /** Run the TypeScript sources unbundled instead of the esbuild bundle. */
  source?: boolean;
}

/** The store's user tag key in every test run: what a deploy sets as SESSION_TAG_SECRET (32 characters or more). */
export const TEST_TAG_SECRET = "test-only-session-tag-secret-0123456789";

export async function startApp({ mode = "development", env = {}, source = false }: StartOptions = {}): Promise<RunningApp> {
  const workDir = await mkdtemp(join(tmpdir(), "netlify-edge-test-"));
  const bundlePath = join(workDir, "local-server.js");
  if (!source) await build({ ...localServerBuild, outfile: bundlePath });

  const blobs = await startLocalBlobs(join(workDir, "blobs"));
  const relay = await startRelay(new URL(blobs.url));
  const context = JSON.parse(atob(blobs.context)) as { siteID: string; token: string; edgeURL: string; uncachedEdgeURL: string };
  const functionContext = btoa(JSON.stringify({ ...context, edgeURL: relay.url, uncachedEdgeURL: relay.url }));
  const args = source ? denoRunSourceArgs(localServerEntry) : denoRunArgs(bundlePath);
  const child = spawn(denoExecutable(), args, {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? workDir,
      ...denoEnv,
      NETLIFY_BLOBS_CONTEXT: functionContext,
      PUBLIC_DIR,
      PORT: "0",
      SESSION_TAG_SECRET: TEST_TAG_SECRET,
      ...(mode === "development" ? { ALLOW_DEMO_USER: "1" } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    relay.cut();
    await blobs.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  const { siteID, token } = context;
  const sessions = getStore({ name: SESSIONS_STORE, siteID, token, edgeURL: blobs.url, uncachedEdgeURL: blobs.url, consistency: "strong" });
  const storedSessions = async () => (await sessions.list()).blobs.map((blob) => blob.key);
  const activity = getStore({ name: ACTIVITY_STORE, siteID, token, edgeURL: blobs.url, uncachedEdgeURL: blobs.url, consistency: "strong" });
  const storedActivity = async () =>
    Promise.all((await activity.list()).blobs.map(async ({ key }) => ({ key, blob: (await activity.get(key, { type: "json" })) as unknown })));

  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`Deno did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)), STARTUP_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Listening on (http:\/\/[^\s/]+)\//.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`Deno exited with code ${code} before listening:\n${output}`));
      });
    });
    return { url, storedSessions, storedActivity, stopBlobs: async () => relay.cut(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A loopback TCP relay to `target` that `cut()` takes down with every connection through it. */
async function startRelay(target: URL): Promise<{ url: string; cut(): void }> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((inbound) => {
    track(inbound);
    const outbound = connect(Number(target.port), target.hostname);
    track(outbound);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("The Blobs relay has no TCP address.");
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
