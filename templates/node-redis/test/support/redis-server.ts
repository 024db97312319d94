/**
 * A throwaway redis-server on a free 127.0.0.1 port, its files in a temp
 * folder. Needs `redis-server` and `redis-cli` on PATH (Debian: redis-server, redis-tools).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, stopProcess, waitFor } from "./processes.js";

const run = promisify(execFile);

export interface RedisServer {
  url: string;
  /** Runs one command through redis-cli and returns its output. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "node-redis-template-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const cli = async (...args: string[]) =>
    (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 5_000 })).stdout.trim();
  const stop = async () => {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await cli("PING").catch(() => "")) === "PONG", `redis-server on port ${port}`, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, cli, stop };
}
