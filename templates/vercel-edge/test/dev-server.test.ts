/**
 * `npm run dev` and `npm start` (scripts/dev.ts): what a person sees when a
 * setting is wrong (one line naming it, at start, not a 500 on the first
 * request), a busy port, `--port`, and static files from public/.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";

const TEMPLATE_DIR = fileURLToPath(new URL("..", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");

interface Started {
  url: string | undefined;
  code: number | null;
  output: string;
  stop(): Promise<void>;
}

/** Runs scripts/dev.ts until it listens or exits. */
async function runDev(args: string[], env: Record<string, string>): Promise<Started> {
  const { SESSION_KEYS: _a, USERS: _b, ALLOW_DEMO_USER: _c, PORT: _d, HOST: _e, ...base } = process.env;
  const child = spawn(process.execPath, [tsx, "scripts/dev.ts", ...args], {
    cwd: TEMPLATE_DIR,
    env: { ...base, HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = await new Promise<string | undefined>((resolve) => {
    const timer = setInterval(() => {
      const match = /Listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (match) {
        clearInterval(timer);
        resolve(match);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      resolve(undefined);
    });
  });
  const code = url ? null : await exited;
  return {
    url,
    code,
    output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("scripts/dev.ts", () => {
  it.each([
    ["a malformed SESSION_KEYS", ["--port", "0"], { SESSION_KEYS: "not-a-key" }, "SESSION_KEYS key 1 of 1 is 9 characters (6 bytes)"],
    // Empty rather than absent, so that a .env beside the app (a scaffolded app has one) cannot fill it.
    ["npm start without SESSION_KEYS", ["--production", "--port", "0"], { SESSION_KEYS: "" }, "SESSION_KEYS is not set"],
    ["npm start without users", ["--production", "--port", "0"], { SESSION_KEYS: "GENERATE" }, "No users are configured"],
    ["PORT=abc", [], { PORT: "abc" }, 'PORT must be a whole number from 0 to 65535 (got "abc")'],
  ])("names what is wrong at start, in one line: %s", async (_what, args, env, message) => {
    const settings: Record<string, string> = { ...env };
    if (settings.SESSION_KEYS === "GENERATE") {
      const { EncryptedCookieStore } = await import("hattip-session");
      settings.SESSION_KEYS = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    }
    const run = await runDev(args, settings);
    await run.stop();
    expect(run.url).toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.output).toContain(message);
    expect(run.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it("moves to the next free port in development, honours --port, and serves public/ as Vercel does", async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    const { EncryptedCookieStore } = await import("hattip-session");
    // With a key given, so that the run writes no .env into the template folder.
    const key = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    const run = await runDev(["--port", String(port)], { SESSION_KEYS: key });
    blocker.close();
    try {
      expect(run.output).toContain(`Port ${port} is in use, trying ${port + 1} instead.`);
      expect(run.url).toBe(`http://127.0.0.1:${port + 1}`);
      const robots = await fetch(`${run.url}/robots.txt`);
      expect(robots.status).toBe(200);
      expect(robots.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await robots.text()).toContain("User-agent");
      // The demo user is on in development.
      const login = await fetch(`${run.url}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: run.url!, "sec-fetch-site": "same-origin" },
        body: "username=demo&password=demo-password",
        redirect: "manual",
      });
      expect(login.status).toBe(303);
    } finally {
      await run.stop();
    }
  });

  it("npm start serves the USERS and refuses the demo user", async () => {
    const { EncryptedCookieStore } = await import("hattip-session");
    const key = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    const run = await runDev(["--production", "--port", "0"], {
      SESSION_KEYS: key,
      USERS: `alice:${await hashPassword("correct horse battery staple")}`,
    });
    try {
      expect(run.url).toBeDefined();
      const post = (body: string) =>
        fetch(`${run.url}/login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin: run.url!, "sec-fetch-site": "same-origin" },
          body,
          redirect: "manual",
        });
      expect((await post("username=demo&password=demo-password")).status).toBe(401);
      expect((await post("username=alice&password=correct+horse+battery+staple")).status).toBe(303);
    } finally {
      await run.stop();
    }
  });
});
