/**
 * How the server starts, and how it refuses to: every wrong setting gets a
 * one-line message that names the setting and the fix, never a stack. And
 * what people see while Redis is away: 503 pages, one log line per outage,
 * /health that says so.
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { CookieClient } from "./support/cookie-client.js";
import { freePort, waitFor } from "./support/processes.js";
import { startRedis } from "./support/redis-server.js";
import { serverCommand, startServer, withoutAppSettings } from "./support/start-app.js";
import { TEST_TAG_SECRET } from "./support/tag-secret.js";

const TEMPLATE_DIR = fileURLToPath(new URL("..", import.meta.url));
const DEMO = { username: "demo", password: "demo-password" };
let users: string;

beforeAll(async () => {
  users = `alice:${await hashPassword("correct horse battery staple")}`;
});

/** Runs the server until it exits on its own; returns its exit code and output. */
async function runToExit(mode: "development" | "production", env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, serverCommand(mode, args), {
    cwd: TEMPLATE_DIR,
    env: { ...withoutAppSettings(process.env), HOST: "127.0.0.1", SESSION_TAG_SECRET: TEST_TAG_SECRET, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

async function runIn(dir: string, env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ["dist/server.js", ...args], {
    cwd: dir,
    env: { ...withoutAppSettings(process.env), HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

/** A copy of the built app in a folder of its own, so that its .env cannot reach the other tests. */
async function builtAppCopy(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await cp(join(TEMPLATE_DIR, "dist"), join(dir, "dist"), { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  // The node_modules the app resolves its packages from (the workspace root's, in this repository).
  const entry = createRequire(join(TEMPLATE_DIR, "package.json")).resolve("redis");
  const modules = entry.slice(0, entry.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length);
  await symlink(modules, join(dir, "node_modules"), "junction");
  return dir;
}

function expectNoStack(output: string): void {
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe("npm start", () => {
  it("runs the compiled JavaScript on node, not TypeScript through tsx", async () => {
    const manifest = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    expect(manifest.scripts.start).toBe("node dist/server.js");
    expect(manifest.scripts.build).toContain("tsc");
    expect(manifest.dependencies.tsx).toBeUndefined();
  });

  it("refuses to start without REDIS_URL, saying what to set", async () => {
    const { code, output } = await runToExit("production", { USERS: users, PORT: "0" });
    expect(code).toBe(1);
    expect(output).toContain("REDIS_URL is not set");
    expectNoStack(output);
  });

  it("refuses to start without SESSION_TAG_SECRET, or with a short one, saying how to make one", async () => {
    for (const secret of ["", "short"]) {
      const { code, output } = await runToExit("production", {
        REDIS_URL: "redis://127.0.0.1:1",
        USERS: users,
        PORT: "0",
        SESSION_TAG_SECRET: secret,
      });
      expect(code).toBe(1);
      expect(output).toContain(secret ? "SESSION_TAG_SECRET is 5 characters long" : "SESSION_TAG_SECRET is not set");
      expect(output).toContain("crypto.randomBytes(32).toString('base64url')");
      expectNoStack(output);
    }
  });

  it("refuses to start without users, saying how to add one", async () => {
    const { code, output } = await runToExit("production", { REDIS_URL: "redis://127.0.0.1:1", PORT: "0" });
    expect(code).toBe(1);
    expect(output).toContain("No users are configured");
    expect(output).toContain("npm run hash-password -- <name>");
    expect(output).toContain("ALLOW_DEMO_USER=1");
    expectNoStack(output);
  });

  it("names the USERS entry that is malformed", async () => {
    const { code, output } = await runToExit("production", { REDIS_URL: "redis://127.0.0.1:1", USERS: `${users},bob:not-a-hash`, PORT: "0" });
    expect(code).toBe(1);
    expect(output).toContain('USERS entry 2 ("bob:not-a-hash")');
    expectNoStack(output);
  });

  it.each([
    ["PORT=abc", { PORT: "abc" }, [], 'PORT must be a whole number from 0 to 65535 (got "abc")'],
    ["PORT=70000", { PORT: "70000" }, [], "PORT must be a whole number"],
    ["--port abc", { PORT: "0" }, ["--port", "abc"], '--port must be a whole number from 0 to 65535 (got "abc")'],
    ["an unknown option", { PORT: "0" }, ["--prot", "4000"], "Options: --port <number>, --host <address>"],
    ["TRUST_PROXY=yes", { PORT: "0", TRUST_PROXY: "yes" }, [], "TRUST_PROXY must be 1"],
  ])("explains %s in one line", async (_what, env, args, message) => {
    const { code, output } = await runToExit("production", { REDIS_URL: "redis://127.0.0.1:1", USERS: users, ...env }, args);
    expect(code).toBe(1);
    expect(output).toContain(message);
    expectNoStack(output);
  });

  it("refuses a busy port, naming it, instead of printing a stack", async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const { code, output } = await runToExit("production", { REDIS_URL: "redis://127.0.0.1:1", USERS: users, PORT: String(port) });
      expect(code).toBe(1);
      expect(output).toContain(`Port ${port} is already in use`);
      expectNoStack(output);
    } finally {
      blocker.close();
    }
  });
});

describe("npm run dev", () => {
  it("runs without REDIS_URL on an in-memory store, with a loud warning", async () => {
    const server = await startServer({}, "development");
    try {
      expect(server.output()).toContain("WARNING: REDIS_URL is not set");
      const client = new CookieClient(server.url);
      expect((await client.post("/login", DEMO)).status).toBe(303);
      expect((await client.get("/profile")).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("moves to the next free port when its port is busy, and says so", async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    const server = await startServer({ PORT: String(port) }, "development").finally(() => blocker.close());
    try {
      expect(server.output()).toContain(`Port ${port} is in use, trying ${port + 1} instead.`);
      expect(server.url).not.toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("honours --port and --host", async () => {
    const port = await freePort();
    const server = await startServer({}, "development", ["--port", String(port), "--host", "127.0.0.1"]);
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  });

  it("makes a SESSION_TAG_SECRET for development once, keeps it in .env (owner only), and reuses it", async () => {
    const dir = await builtAppCopy("node-redis-dev-secret-");
    try {
      // As .env.example has it: the line there, empty. A malformed USERS stops the app right after the secret is made.
      await writeFile(join(dir, ".env"), "SESSION_TAG_SECRET=\nUSERS=bob:not-a-hash\n");
      // (Its note that it made one may not reach the pipe before that exit: the file says it all.)
      await runIn(dir, {}, ["--dev"]);
      const written = await readFile(join(dir, ".env"), "utf8");
      const secret = /^SESSION_TAG_SECRET=([A-Za-z0-9_-]{43})$/m.exec(written)?.[1];
      expect(secret).toBeDefined();
      expect(written.match(/SESSION_TAG_SECRET=/g)).toHaveLength(1);
      expect((await stat(join(dir, ".env"))).mode & 0o777).toBe(0o600);
      const second = await runIn(dir, {}, ["--dev"]);
      expect(second.output).not.toContain("SESSION_TAG_SECRET was not set");
      expect(await readFile(join(dir, ".env"), "utf8")).toBe(written);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads settings from .env beside it, the real environment winning", async () => {
    const dir = await builtAppCopy("node-redis-env-");
    try {
      await writeFile(join(dir, ".env"), `PORT=abc\nUSERS=${users}\nREDIS_URL=redis://127.0.0.1:1\n`);
      const fromFile = await runIn(dir, {});
      expect(fromFile.output).toContain('PORT must be a whole number from 0 to 65535 (got "abc")');
      const envWins = await runIn(dir, { PORT: "not-a-port-either" });
      expect(envWins.output).toContain('(got "not-a-port-either")');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says once, plainly, that Redis is unreachable and how to start one; /health reports it", async () => {
    const deadPort = await freePort();
    const server = await startServer({ REDIS_URL: `redis://127.0.0.1:${deadPort}` }, "development");
    try {
      // node-redis retries in the background meanwhile: the message must not repeat.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const output = server.output();
      expect(output.match(/is not reachable/g)).toHaveLength(1);
      expect(output).toContain("redis-server");
      expect(output).toContain("remove REDIS_URL");
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: "unavailable", storeReachable: false });
    } finally {
      await server.stop();
    }
  });
});

describe("the tests themselves", () => {
  it("say what to install when redis-server is not on the PATH", async () => {
    const path = process.env.PATH;
    process.env.PATH = "";
    try {
      await expect(startRedis()).rejects.toThrow("sudo apt-get install redis-server");
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("Redis outage", () => {
  it("answers 503 pages while Redis is away, logs the outage once, and recovers without a restart", async () => {
    const redisPort = await freePort();
    let redis = await startRedis({ port: redisPort });
    const app = await startServer({ REDIS_URL: redis.url, USERS: users }, "production");
    try {
      const client = new CookieClient(app.url);
      expect((await client.post("/login", { username: "alice", password: "correct horse battery staple" })).status).toBe(303);
      await redis.stop();
      const response = await client.get("/profile");
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      const body = await response.text();
      expect(body).toContain("Sign-in is unavailable for a moment");
      expect(body).toContain('<header class="site">');
      expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
      expect((await client.post("/login", { username: "alice", password: "x" })).status).toBe(503);
      expect((await fetch(`${app.url}/health`)).status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(app.output().match(/is not reachable/g)).toHaveLength(1);

      redis = await startRedis({ port: redisPort });
      await waitFor(async () => (await fetch(`${app.url}/health`)).status === 200, "the app to reconnect");
      expect(app.output()).toContain("is reachable again");
      // Redis came back empty: the session is gone, and the app says so calmly.
      expect((await client.get("/profile")).headers.get("location")).toBe("/login");
    } finally {
      await app.stop();
      await redis.stop();
    }
  });
});
