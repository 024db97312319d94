/**
 * The server process itself: the address it says it listens on is the one
 * it listens on, and when it is told to stop (SIGTERM: `docker stop`, a
 * redeploy) it refuses new connections, finishes the request in flight,
 * closes its store and exits with code 0.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { freePort, stopProcess, waitFor } from "./support/processes.js";
import { serverCommand, startServer, withoutAppSettings } from "./support/start-app.js";
import { startStore, type TestStore } from "./support/store.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
let store: TestStore;
let users: string;

beforeAll(async () => {
  store = await startStore();
  users = `alice:${await hashPassword("correct horse battery staple")}`;
});

afterAll(async () => {
  await store?.stop();
});

describe("the address it listens on", () => {
  it("names 0.0.0.0 when it listens on every interface, and how to reach it from this machine", async () => {
    const port = await freePort();
    const server = await startServer({ ...store.env, USERS: users, HOST: "0.0.0.0", PORT: String(port) }, "production");
    try {
      expect(server.output()).toContain(`Listening on http://0.0.0.0:${port} (from this machine: http://localhost:${port})`);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("names the one address it listens on, and the port the OS gave it", async () => {
    const server = await startServer({ ...store.env, USERS: users, HOST: "127.0.0.1", PORT: "0" }, "production");
    try {
      const url = /Listening on (http:\/\/\S+)/.exec(server.output())?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:0$/);
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe("SIGTERM", () => {
  it("finishes the request in flight, refuses new connections meanwhile, and exits with code 0", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, serverCommand("production"), {
      cwd: APP_DIR,
      env: { ...withoutAppSettings(process.env), ...store.env, USERS: users, HOST: "127.0.0.1", PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await waitFor(async () => output.includes("Listening on"), "the server", child);
      const origin = `http://127.0.0.1:${port}`;
      let bodyRest: () => void = () => {};
      const inFlight = new Promise<void>((resolve) => (bodyRest = resolve));
      // A sign-in whose body is still on its way when the signal comes.
      const answer = new Promise<number>((resolve, reject) => {
        const post = request(`${origin}/login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin, "sec-fetch-site": "same-origin", "transfer-encoding": "chunked" },
        });
        post.once("response", (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        post.once("error", reject);
        post.write("username=alice&password=");
        void inFlight.then(() => post.end("correct%20horse%20battery%20staple"));
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(fetch(`${origin}/health`)).rejects.toThrow();
      expect(child.exitCode).toBeNull();
      bodyRest();
      expect(await answer).toBe(303);
      expect(await exited).toBe(0);
    } finally {
      await stopProcess(child);
    }
  });
});
