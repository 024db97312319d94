/**
 * The commands clients sent to real redis-servers during an action, from
 * `MONITOR` (through redis-cli): unlike `INFO commandstats`, it tells a
 * command a client sent from one a Lua script ran, so a script counts once.
 */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const TIMEOUT_MS = 5_000;

/** Top-level commands per name (lower case), summed over `ports`. */
export async function clientCommandsDuring(ports: readonly number[], action: () => Promise<unknown>): Promise<Record<string, number>> {
  const marker = `monitor-marker-${crypto.randomUUID()}`;
  const monitors = await Promise.all(ports.map((port) => startMonitor(port, marker)));
  try {
    await action();
    // The marker, sent after the action, closes each node's record.
    await Promise.all(ports.map((port) => run("redis-cli", ["-p", String(port), "ECHO", marker], { timeout: TIMEOUT_MS })));
    const counts: Record<string, number> = {};
    for (const lines of await Promise.all(monitors.map((monitor) => monitor.untilMarker))) {
      for (const line of lines) {
        // `<time> [<db> <client address>] "COMMAND" ...`; commands run by a script show `[<db> lua]`.
        const match = /^\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
        if (!match || match[1] === "lua") continue;
        const name = match[2]!.toLowerCase();
        counts[name] = (counts[name] ?? 0) + 1;
      }
    }
    return counts;
  } finally {
    for (const monitor of monitors) monitor.stop();
  }
}

async function startMonitor(port: number, marker: string) {
  const child = spawn("redis-cli", ["-p", String(port), "MONITOR"], { stdio: ["ignore", "pipe", "ignore"] });
  let buffered = "";
  const lines: string[] = [];
  let ready!: () => void;
  let done!: (lines: string[]) => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const untilMarker = new Promise<string[]>((resolve) => (done = resolve));
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === "OK") ready();
      else if (line.includes(marker)) done(lines);
      else lines.push(line);
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS * 4);
  const failed = new Promise<never>((_, reject) => child.once("exit", () => reject(new Error(`redis-cli MONITOR on port ${port} ended early`))));
  failed.catch(() => undefined); // awaited through the races below; its end after stop() is expected
  await Promise.race([started, failed]);
  return {
    untilMarker: Promise.race([untilMarker, failed]),
    stop() {
      clearTimeout(timer);
      child.kill("SIGKILL");
    },
  };
}
