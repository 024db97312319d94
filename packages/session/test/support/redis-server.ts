/**
 * Real redis-server processes for tests: one node, or a 3-master cluster,
 * each on free 127.0.0.1 ports with its files in a fresh temp folder. The
 * machine's own Redis (6379) is never touched. Everything is bounded by
 * timeouts, and stop() removes the processes and their folders.
 *
 * Needs the Debian packages redis-server and redis-tools (redis-cli).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const CLI_TIMEOUT_MS = 5_000;

export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for `createClient({ url })`. */
  readonly url: string;
  /** Stop the server (SIGTERM, then SIGKILL) without deleting its folder. Idempotent. */
  kill(): Promise<void>;
  /** End it at once with SIGKILL, as a crash or an OOM kill would: no shutdown, no last word to replicas. */
  crash(): Promise<void>;
  /** The process ID of the running server. */
  readonly pid: number;
  /** Start it again on the same port and folder (data survives only with `appendonly`). */
  restart(): Promise<void>;
  /** Freeze the process (SIGSTOP): connections stay open but nothing is answered, like a hung server. */
  pause(): void;
  /** Undo pause() (SIGCONT). */
  resume(): void;
  /** Stop it for good and delete its folder. Idempotent. */
  stop(): Promise<void>;
  /** Calls per command since start (or the last `resetStats`), from `INFO commandstats`, lower-case names. */
  commandStats(): Promise<Map<string, number>>;
  /** Run one command through redis-cli and return its raw output. */
  cli(...args: string[]): Promise<string>;
}

export interface StartRedisOptions {
  /** Persist every write to an append-only file, so that data survives restart(). */
  appendonly?: boolean;
  /** Addresses to listen on besides 127.0.0.1 (a test network namespace's veth address, say). */
  alsoBind?: string[];
  /** More redis-server arguments, such as `--replicaof 127.0.0.1 <port>`. */
  args?: string[];
  /** A port chosen by the caller (a cluster node needs port + 10000 free too); a free one otherwise. */
  port?: number;
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-redis-"));
  const port = options.port ?? (await freePort());
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    ...(options.alsoBind ?? []),
    // Only test namespace addresses are ever added, and they need to reach it without a password.
    ...(options.alsoBind?.length ? ["--protected-mode", "no"] : []),
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.appendonly ? "yes" : "no",
    "--appendfsync",
    "always",
    ...(options.args ?? []),
  ];
  let child = await spawnRedis(args, port);
  const cli = (...command: string[]) => redisCli(port, command);

  const kill = async () => {
    await terminate(child);
  };
  return {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async crash() {
      await crash(child);
    },
    get pid() {
      return child.pid!;
    },
    async restart() {
      await kill();
      child = await spawnRedis(args, port);
    },
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    commandStats: async () => parseCommandStats(await cli("INFO", "commandstats")),
    cli,
  };
}

export interface RedisClusterNode {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly url: string;
}

export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** In the shape `createCluster({ rootNodes })` takes. */
  readonly rootNodes: { url: string }[];
  /** Calls per command summed over every node, lower-case names. */
  commandStats(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Three masters, no replicas, all 16384 slots assigned; resolves once every node reports `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-redis-cluster-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(terminate));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) ports.push(await freeClusterPort(ports));
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        nodeDir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(nodeDir, `nodes-${port}.conf`),
        "--cluster-node-timeout",
        "5000",
      ];
      children.push(await spawnRedis(args, port));
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: STARTUP_TIMEOUT_MS,
    });
    await waitUntil(async () => {
      const states = await Promise.all(ports.map((port) => redisCli(port, ["CLUSTER", "INFO"])));
      return states.every((info) => info.includes("cluster_state:ok"));
    }, "the cluster to report cluster_state:ok");
    const nodes = ports.map((port) => ({ host: "127.0.0.1" as const, port, url: `redis://127.0.0.1:${port}` }));
    return {
      nodes,
      rootNodes: nodes.map(({ url }) => ({ url })),
      async commandStats() {
        const total = new Map<string, number>();
        for (const { port } of nodes) {
          for (const [command, calls] of parseCommandStats(await redisCli(port, ["INFO", "commandstats"]))) {
            total.set(command, (total.get(command) ?? 0) + calls);
          }
        }
        return total;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `a - b` per command, dropping commands whose count did not move. */
export function commandDelta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [command, calls] of after) {
    const moved = calls - (before.get(command) ?? 0);
    if (moved !== 0) delta.set(command, moved);
  }
  return delta;
}

export function parseCommandStats(info: string): Map<string, number> {
  const stats = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    stats.set(match[1]!.toLowerCase(), Number(match[2]));
  }
  return stats;
}

export async function redisCli(port: number, command: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...command], {
    timeout: CLI_TIMEOUT_MS,
  });
  return stdout;
}

/** Servers still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function spawnRedis(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", args, { stdio: "ignore" });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let failure: Error | undefined;
  child.once("error", (error) => (failure = error));
  child.once("exit", (code) => (failure ??= new Error(`redis-server on port ${port} exited with code ${code}`)));
  try {
    await waitUntil(async () => {
      if (failure) throw failure;
      return (await redisCli(port, ["PING"]).catch(() => "")).trim() === "PONG";
    }, `redis-server to answer on port ${port}`);
  } catch (error) {
    await terminate(child);
    throw error;
  }
  return child;
}

export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGCONT"); // a paused server cannot act on SIGTERM
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** SIGKILL, and resolves once the process is gone. */
export async function crash(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

export async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = STARTUP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * A cluster node also listens on its port + 10000 (the cluster bus), so
 * both must be free; OS-assigned ports can be too high for that, hence a
 * random pick below the ephemeral range.
 */
export async function freeClusterPort(taken: number[]): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.includes(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) return port;
  }
  throw new Error("Found no free port pair for a Redis Cluster node.");
}
