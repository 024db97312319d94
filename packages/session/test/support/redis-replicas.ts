/**
 * Replicated Redis for failover tests, built from real redis-server
 * processes on free 127.0.0.1 ports: a primary with replicas, a Sentinel
 * deployment (1 primary, 1 replica, 3 sentinels, `redis-server --sentinel`)
 * and a Cluster of 3 primaries with 1 replica each. Failure detection is
 * tuned to about a second, so a failover takes seconds, not the defaults'
 * half a minute. stop() ends every process and removes every folder, also
 * when start-up fails half-way.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  freeClusterPort,
  freePort,
  redisCli,
  spawnRedis,
  startRedis,
  terminate,
  waitUntil,
  type RedisServer,
  type StartRedisOptions,
} from "./redis-server.js";

/** How long a primary may be silent before Sentinel or the Cluster calls it down, in ms. */
export const DOWN_AFTER_MS = 1000;
const FAILOVER_WAIT_MS = 30_000;

export interface ReplicatedRedis {
  readonly primary: RedisServer;
  readonly replicas: readonly RedisServer[];
  stop(): Promise<void>;
}

/** A primary and `replicaCount` replicas of it, resolved once every replica reports its link up. */
export async function startReplicatedRedis(replicaCount = 1, options: StartRedisOptions = {}): Promise<ReplicatedRedis> {
  const started: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
  try {
    const primary = await startRedis(options);
    started.push(primary);
    for (let i = 0; i < replicaCount; i++) {
      started.push(await startRedis({ ...options, args: [...(options.args ?? []), ...replicaArgs(primary.port)] }));
    }
    const replicas = started.slice(1);
    await Promise.all(replicas.map((replica) => waitForReplicaLink(replica)));
    return { primary, replicas, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface SentinelDeployment {
  /** The name the sentinels monitor the primary under (`createSentinel({ name })`). */
  readonly masterName: string;
  /** In the shape `createSentinel({ sentinelRootNodes })` takes. */
  readonly sentinelRootNodes: { host: string; port: number }[];
  /** The data nodes, the first one primary at start. */
  readonly nodes: readonly RedisServer[];
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /** The data node that is primary now. */
  primary(): Promise<RedisServer>;
  /** Resolves once the sentinels name a primary other than `port` and it has taken the role. */
  waitForFailoverFrom(port: number, timeoutMs?: number): Promise<number>;
  /** How many failovers the sentinels have agreed on since the start: the highest configuration epoch any of them reports. */
  failovers(): Promise<number>;
  stop(): Promise<void>;
}

/** 1 primary, 1 replica, 3 sentinels with a quorum of 2. */
export async function startSentinelDeployment(): Promise<SentinelDeployment> {
  const masterName = "sessions";
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-sentinel-"));
  const nodes: RedisServer[] = [];
  const sentinels: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all([...sentinels.map(terminate), ...nodes.map((node) => node.stop())]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startRedis();
    nodes.push(primary);
    const replica = await startRedis({ args: replicaArgs(primary.port) });
    nodes.push(replica);
    await waitForReplicaLink(replica);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const config = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file as it learns the topology, so each gets its own, writable.
      await writeFile(
        config,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      sentinels.push(await spawnRedis([config, "--sentinel"], port));
      sentinelPorts.push(port);
    }
    // Every sentinel must know the replica and the other sentinels before a failover can be agreed.
    await waitUntil(
      async () => {
        const views = await Promise.all(sentinelPorts.map((port) => redisCli(port, ["SENTINEL", "MASTER", masterName])));
        return views.every((view) => fieldOf(view, "num-slaves") === "1" && fieldOf(view, "num-other-sentinels") === "2");
      },
      "the sentinels to see the replica and each other",
      30_000,
    );

    const primaryPort = async () => {
      for (const port of sentinelPorts) {
        const answer = await redisCli(port, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName]).catch(() => "");
        const found = Number(answer.trim().split("\n")[1]);
        if (Number.isInteger(found) && found > 0) return found;
      }
      throw new Error("No sentinel named a primary.");
    };
    const byPort = (port: number) => {
      const node = nodes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`The sentinels name an unknown primary on port ${port}.`);
      return node;
    };
    return {
      masterName,
      sentinelRootNodes: sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
      nodes,
      primaryPort,
      primary: async () => byPort(await primaryPort()),
      async failovers() {
        const views = await Promise.all(sentinelPorts.map((port) => redisCli(port, ["SENTINEL", "MASTER", masterName]).catch(() => "")));
        return Math.max(0, ...views.map((view) => Number(fieldOf(view, "config-epoch")) || 0));
      },
      async waitForFailoverFrom(port, timeoutMs = FAILOVER_WAIT_MS) {
        let promoted = 0;
        await waitUntil(
          async () => {
            promoted = await primaryPort().catch(() => 0);
            if (promoted === 0 || promoted === port) return false;
            return /^role:master/m.test(await redisCli(promoted, ["INFO", "replication"]).catch(() => ""));
          },
          `the sentinels to promote a replica in place of port ${port}`,
          timeoutMs,
        );
        return promoted;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ClusterShard {
  /** The node that was primary of these slots at start. */
  readonly first: RedisServer;
  /** The node that was its replica at start. */
  readonly second: RedisServer;
}

export interface ReplicatedCluster {
  readonly shards: readonly ClusterShard[];
  readonly nodes: readonly RedisServer[];
  /** In the shape `createCluster({ rootNodes })` takes. */
  readonly rootNodes: { url: string }[];
  /** The node that serves `key`'s slot as primary now. */
  primaryOf(key: string): Promise<RedisServer>;
  /** Resolves once a replica has taken over the slots `port` served and the cluster reports ok. */
  waitForFailoverFrom(port: number, timeoutMs?: number): Promise<RedisServer>;
  stop(): Promise<void>;
}

/** 3 primaries with 1 replica each, all 16384 slots assigned, resolved once every node reports `cluster_state:ok`. */
export async function startReplicatedCluster(): Promise<ReplicatedCluster> {
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-cluster-"));
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freeClusterPort(ports));
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      nodes.push(
        await startRedis({
          port,
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(nodeDir, "nodes.conf"),
            "--cluster-node-timeout",
            String(DOWN_AFTER_MS),
            // A replica that lost its primary a moment ago is still fit to take over.
            "--cluster-replica-validity-factor",
            "0",
            // Slots whose shard is failing over refuse; the others keep answering (Redis's default refuses them all).
            "--cluster-require-full-coverage",
            "no",
          ],
        }),
      );
    }
    // --cluster-replicas 1 makes the first three primaries and gives each one replica.
    await redisCliCluster(["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "1", "--cluster-yes"]);
    await waitUntil(
      async () => {
        const states = await Promise.all(ports.map((port) => redisCli(port, ["CLUSTER", "INFO"])));
        return states.every((info) => info.includes("cluster_state:ok"));
      },
      "the cluster to report cluster_state:ok",
      30_000,
    );
    const shards = await shardsOf(nodes);
    await Promise.all(shards.map(({ second }) => waitForReplicaLink(second)));

    const primaryOf = async (key: string) => {
      // Any live node's CLUSTER NODES view names every node, its role and its slots.
      for (const asked of nodes) {
        const slot = Number((await redisCli(asked.port, ["CLUSTER", "KEYSLOT", key]).catch(() => "")).trim());
        const view = await redisCli(asked.port, ["CLUSTER", "NODES"]).catch(() => "");
        if (!view || !Number.isInteger(slot)) continue;
        const port = primaryPortForSlot(view, slot);
        const node = nodes.find((candidate) => candidate.port === port);
        if (node) return node;
      }
      throw new Error(`No live node names the primary of ${key}'s slot.`);
    };
    return {
      shards,
      nodes,
      rootNodes: nodes.map(({ url }) => ({ url })),
      primaryOf,
      async waitForFailoverFrom(port, timeoutMs = FAILOVER_WAIT_MS) {
        const shard = shards.find(({ first, second }) => first.port === port || second.port === port);
        if (!shard) throw new Error(`Port ${port} is not a node of this cluster.`);
        const other = shard.first.port === port ? shard.second : shard.first;
        await waitUntil(
          async () => {
            const role = await redisCli(other.port, ["ROLE"]).catch(() => "");
            const info = await redisCli(other.port, ["CLUSTER", "INFO"]).catch(() => "");
            return role.startsWith("master") && info.includes("cluster_state:ok");
          },
          `the replica on port ${other.port} to take over from port ${port}`,
          timeoutMs,
        );
        return other;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves once `node` reports its link to its primary up and the initial sync done. */
export async function waitForReplicaLink(node: RedisServer, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    async () => {
      const info = await redisCli(node.port, ["INFO", "replication"]).catch(() => "");
      return /^master_link_status:up/m.test(info) && /^master_sync_in_progress:0/m.test(info);
    },
    `the replica on port ${node.port} to finish its sync`,
    timeoutMs,
  );
}

function replicaArgs(primaryPort: number): string[] {
  // Diskless and immediate: the first sync takes milliseconds instead of waiting 5 s for more replicas.
  return ["--replicaof", "127.0.0.1", String(primaryPort), "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"];
}

function fieldOf(flatReply: string, field: string): string | undefined {
  const lines = flatReply.trim().split("\n");
  const at = lines.indexOf(field);
  return at === -1 ? undefined : lines[at + 1];
}

async function shardsOf(nodes: RedisServer[]): Promise<ClusterShard[]> {
  const shards: ClusterShard[] = [];
  for (const node of nodes) {
    const role = await node.cli("ROLE");
    if (!role.startsWith("slave")) continue;
    const primaryPort = Number(role.trim().split("\n")[2]);
    const first = nodes.find(({ port }) => port === primaryPort);
    if (!first) throw new Error(`The replica on port ${node.port} follows an unknown port ${primaryPort}.`);
    shards.push({ first, second: node });
  }
  if (shards.length !== 3) throw new Error(`Expected 3 primary/replica pairs, found ${shards.length}.`);
  return shards;
}

/** The port of the primary that serves `slot` in a CLUSTER NODES reply, ignoring nodes flagged failed. */
function primaryPortForSlot(clusterNodes: string, slot: number): number | undefined {
  for (const line of clusterNodes.trim().split("\n")) {
    const [, address = "", flags = "", , , , , , ...ranges] = line.trim().split(" ");
    if (!flags.split(",").includes("master") || flags.includes("fail")) continue;
    for (const range of ranges) {
      if (range.startsWith("[")) continue;
      const [from, to = from] = range.split("-").map(Number);
      if (slot >= from! && slot <= to!) return Number(address.split("@")[0]!.split(":")[1]);
    }
  }
  return undefined;
}

async function redisCliCluster(args: string[]): Promise<void> {
  await promisify(execFile)("redis-cli", args, { timeout: 30_000 });
}
