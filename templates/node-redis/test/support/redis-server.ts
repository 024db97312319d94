/**
 * A throwaway redis-server on a free 127.0.0.1 port, its files in a temp
 * folder. Needs `redis-server` on the PATH; without it, the error says how
 * to install it. Commands go through the app's own node-redis package.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort, stopProcess, waitFor } from "./processes.js";

export interface RedisServer {
  url: string;
  /** Runs one command (`command("KEYS", "*")`) and returns its reply. */
  command(...args: string[]): Promise<unknown>;
  /** The keys that match `pattern`. */
  keys(pattern: string): Promise<string[]>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "The node-redis tests start their own redis-server, and none is on the PATH. Install it:\n" +
  "  Debian/Ubuntu: sudo apt-get install redis-server\n" +
  "  macOS:         brew install redis\n" +
  "  Windows:       use WSL, or Memurai (a Redis for Windows)";

export async function startRedis({ port: fixedPort }: { port?: number } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "node-redis-template-"));
  const port = fixedPort ?? (await freePort());
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const missing = await Promise.race([spawnError, new Promise<null>((resolve) => setTimeout(() => resolve(null), 100))]);
  if (missing) {
    await rm(dir, { recursive: true, force: true });
    throw new Error((missing as NodeJS.ErrnoException).code === "ENOENT" ? INSTALL_HINT : `redis-server did not start: ${missing.message}`);
  }
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  const stop = async () => {
    if (client.isOpen) client.destroy();
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!client.isOpen) await client.connect().catch(() => undefined);
        return client.isReady && (await client.ping().catch(() => "")) === "PONG";
      },
      `redis-server on port ${port}`,
      child,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    command: (...args) => client.sendCommand(args),
    keys: async (pattern) => (await client.keys(pattern)).sort(),
    stop,
  };
}
