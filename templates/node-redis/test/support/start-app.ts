/**
 * Starts the template as a user would: its own store (store.ts), then the app in
 * a child Node process on a free port. Development runs `src/server.ts
 * --dev` through tsx, as `npm run dev` does; production runs the compiled
 * `dist/server.js` on plain node, as `npm start` does (test/support/build.ts
 * compiles it before the tests). The root browser test reuses this.
 */
import { TEST_CACHE_KEYS, TEST_TAG_SECRET } from "./tag-secret.js";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startStore, type TestStore } from "./store.js";
import { stopProcess, waitFor } from "./processes.js";

const TEMPLATE_DIR = fileURLToPath(new URL("../..", import.meta.url));

export interface RunningApp {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  store: TestStore;
  /** Everything the server printed so far. */
  output(): string;
  /** The app process's id, to read its memory. */
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  mode?: "development" | "production";
  env?: Record<string, string>;
  /** Use this store instead of starting one (it is then left running). */
  store?: TestStore;
}

export async function startApp({ mode = "development", env = {}, store: shared }: StartOptions = {}): Promise<RunningApp> {
  const store = shared ?? (await startStore());
  try {
    const server = await startServer({ ...store.env, ...env }, mode);
    return {
      ...server,
      store,
      async stop() {
        await server.stop();
        if (!shared) await store.stop();
      },
    };
  } catch (error) {
    if (!shared) await store.stop();
    throw error;
  }
}

export interface ServerProcess {
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** The command `npm run dev` or `npm start` runs, without npm in between (so that stop() reaches the server itself). */
export function serverCommand(mode: "development" | "production", args: string[] = []): string[] {
  return mode === "production" ? ["dist/server.js", ...args] : ["--import", "tsx", "src/server.ts", "--dev", ...args];
}

/** Runs the app with `env` added (PORT=0: the OS picks) and resolves once it prints its URL. */
export async function startServer(
  env: Record<string, string>,
  mode: "development" | "production" = "development",
  args: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, serverCommand(mode, args), {
    cwd: TEMPLATE_DIR,
    env: {
      ...withoutAppSettings(process.env),
      PORT: "0",
      HOST: "127.0.0.1",
      SESSION_TAG_SECRET: TEST_TAG_SECRET,
      SESSION_CACHE_KEYS: TEST_CACHE_KEYS,
      ...env,
    },
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
  return { url: listening()!, pid: child.pid!, output: () => output, stop: () => stopProcess(child) };
}

/** The tests decide every setting: none leaks in from the shell that runs them. */
export function withoutAppSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const {
    REDIS_URL: _a,
    DATABASE_URL: _g,
    USERS: _b,
    ALLOW_DEMO_USER: _c,
    TRUST_PROXY: _d,
    PORT: _e,
    HOST: _f,
    SESSION_TAG_SECRET: _h,
    SESSION_CACHE_KEYS: _i,
    ...rest
  } = env;
  return rest;
}
