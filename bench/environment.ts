/** Where the numbers were measured: machine, runtime, package versions, load. */
import { readFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";

export interface Environment {
  date: string;
  cpus: number;
  cpuModel: string;
  loadAverage1mAtStart: number;
  node: string;
  packages: Record<string, string>;
}

const PACKAGES = [
  "hattip-session",
  "@hattip/session",
  "@hattip/adapter-node",
  "@hattip/compose",
  "@hattip/cookie",
  "iron-session",
  "redis",
  "tinybench",
  "autocannon",
];

export async function describeEnvironment(): Promise<Environment> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const packages: Record<string, string> = {};
  for (const name of PACKAGES) {
    const manifest = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    packages[name] = JSON.parse(await readFile(manifest, "utf8")).version;
  }
  const redisVersion = await import("node:child_process").then(({ execFileSync }) => {
    try {
      return execFileSync("redis-server", ["--version"], { encoding: "utf8", timeout: 5_000 }).trim();
    } catch {
      return "unknown";
    }
  });
  packages["redis-server"] = /v=(\S+)/.exec(redisVersion)?.[1] ?? redisVersion;
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    loadAverage1mAtStart: loadavg()[0]!,
    node: process.version,
    packages,
  };
}
