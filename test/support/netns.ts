/**
 * A network namespace of the test's own, joined to the host by veth pairs
 * on private /30 networks, so that a link can be cut (set down) while the
 * processes on both ends keep running: a network partition without
 * killing anything. Uses `ip` (Debian: iproute2) and needs root.
 *
 * Everything is named after this process's ID. remove() deletes the
 * namespace (which deletes the veth pairs with it), and an exit hook does
 * the same if the test process ends without it.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const IP_TIMEOUT_MS = 10_000;

export interface VethLink {
  /** The host end's interface name. */
  readonly hostDevice: string;
  /** The host end's address (Redis listens here). */
  readonly hostAddress: string;
  /** The namespace end's address (the app listens here). */
  readonly namespaceAddress: string;
  /** Drops every packet both ways by taking the host end down; the namespace end loses carrier. */
  cut(): Promise<void>;
  /** Brings the host end back up. */
  heal(): Promise<void>;
}

export interface TestNamespace {
  readonly name: string;
  /** Prefix a command with this to run it inside the namespace. */
  readonly exec: string[];
  /** A new veth pair between the host and the namespace, on its own /30. */
  link(): Promise<VethLink>;
  /** Deletes the namespace and its links. Idempotent. */
  remove(): Promise<void>;
}

const created = new Set<string>();
process.once("exit", () => {
  for (const name of created) {
    try {
      execFileSync("ip", ["netns", "delete", name], { stdio: "ignore", timeout: IP_TIMEOUT_MS });
    } catch {
      // Already gone.
    }
  }
});

/** Whether this machine lets us make namespaces (root, iproute2): tests skip with a reason otherwise. */
export async function namespacesAvailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "network namespaces need root";
  // Listing works almost anywhere; making one is what needs the privileges (a container may lack them).
  const probe = `hsfo-probe-${process.pid}`;
  try {
    await run("ip", ["netns", "add", probe], { timeout: IP_TIMEOUT_MS });
    await run("ip", ["netns", "delete", probe], { timeout: IP_TIMEOUT_MS });
    return undefined;
  } catch (error) {
    return `\`ip netns add\` failed here (${error instanceof Error ? error.message.trim() : String(error)}); it needs iproute2 and CAP_SYS_ADMIN`;
  }
}

export async function createNamespace(): Promise<TestNamespace> {
  const name = `hsfo-${process.pid}-${created.size}`;
  await ip("netns", "add", name);
  created.add(name);
  const inside = (...args: string[]) => ip("-n", name, ...args);
  let links = 0;
  try {
    await inside("link", "set", "lo", "up");
  } catch (error) {
    await ip("netns", "delete", name).catch(() => undefined);
    created.delete(name);
    throw error;
  }
  return {
    name,
    exec: ["ip", "netns", "exec", name],
    async link() {
      const index = links++;
      const hostDevice = `hsfo${process.pid % 100_000}h${index}`;
      const namespaceDevice = `hsfo${process.pid % 100_000}n${index}`;
      const subnet = await freeSubnet();
      const hostAddress = `${subnet}.1`;
      const namespaceAddress = `${subnet}.2`;
      await ip("link", "add", hostDevice, "type", "veth", "peer", "name", namespaceDevice, "netns", name);
      await ip("addr", "add", `${hostAddress}/30`, "dev", hostDevice);
      await ip("link", "set", hostDevice, "up");
      await inside("addr", "add", `${namespaceAddress}/30`, "dev", namespaceDevice);
      await inside("link", "set", namespaceDevice, "up");
      return {
        hostDevice,
        hostAddress,
        namespaceAddress,
        cut: async () => void (await ip("link", "set", hostDevice, "down")),
        heal: async () => void (await ip("link", "set", hostDevice, "up")),
      };
    },
    async remove() {
      if (!created.has(name)) return;
      await ip("netns", "delete", name).catch(() => undefined);
      created.delete(name);
    },
  };
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run("ip", args, { timeout: IP_TIMEOUT_MS });
  return stdout;
}

/** The first three octets of a 10.231.N.0/30 that no interface on the host uses yet (N picked at random). */
async function freeSubnet(): Promise<string> {
  const used = await ip("-4", "-o", "addr", "show");
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = `10.231.${Math.floor(Math.random() * 250) + 1}`;
    if (!used.includes(` ${candidate}.`)) return candidate;
  }
  throw new Error("Found no free 10.231.N.0/30 subnet for a test link.");
}
