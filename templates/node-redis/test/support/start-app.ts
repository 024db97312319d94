/**
 * Starts the template as a user would: its own redis-server, then
 * `src/server.ts` in a child Node process on a free port. The root browser
 * test reuses this.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startRedis, type RedisServer } from "./redis-server.js";
import { stopProcess, waitFor } from "./processes.js";

const TEMPLATE_DIR = fileURLToPath(new URL("../..", import.meta.url));

export interface RunningApp {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  redis: RedisServer;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startApp(): Promise<RunningApp> {
  const redis = await startRedis();
  try {
    const server = await startServer({ REDIS_URL: redis.url });
    return {
      ...server,
      redis,
      async stop() {
        await server.stop();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

export interface ServerProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Runs `src/server.ts` with `env` added (PORT=0: the OS picks) and resolves once it prints its URL. */
export async function startServer(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts", ...args], {
    cwd: TEMPLATE_DIR,
    env: { ...withoutRedisUrl(process.env), PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const listening = () => /Listening on (http:\/\/\S+)/.exec(output)?.[1];
  try {
    await waitFor(async () => listening() !== undefined, "the app server", child);
  } catch (error) {
    await stopProcess(child);
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url: listening()!, output: () => output, stop: () => stopProcess(child) };
}

function withoutRedisUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDIS_URL: _ignored, ...rest } = env;
  return rest;
}
