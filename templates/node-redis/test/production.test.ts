/**
 * What only the Node deployment has to prove, on the compiled app as
 * `npm start` runs it: memory stays flat under a huge upload, login
 * counters live in the store (shared by every process, kept across a restart),
 * and X-Forwarded-* headers count only when TRUST_PROXY says a proxy sets them.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { Client } from "./shared/http.js";
import { harness } from "./support/harness.js";
import { startApp } from "./support/start-app.js";
import { startStore, type TestStore } from "./support/store.js";

const ALICE = { username: "alice", password: "correct horse battery staple" };
const WRONG = { username: "alice", password: "guess" };
let users: string;
let store: TestStore;

beforeAll(async () => {
  users = `alice:${await hashPassword(ALICE.password)}`;
  store = await startStore();
});

afterAll(async () => {
  await store?.stop();
});

function production(env: Record<string, string> = {}) {
  return startApp({ mode: "production", env: { USERS: users, ...env }, store });
}

/** Peak resident memory of a process, in bytes (Linux). */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

describe("a 100 MiB upload", () => {
  it.skipIf(process.platform !== "linux")("is refused with 413 while the server's memory stays flat (peak RSS grows under 20 MiB)", async () => {
    const app = await production();
    try {
      const client = new Client(app.url, harness);
      // Warm up every code path the upload takes, so that the measure is the upload alone.
      await client.post("/login", WRONG);
      await client.send("/login", {
        method: "POST",
        headers: { origin: app.url, "sec-fetch-site": "same-origin" },
        chunks: { size: 64 * 1024, total: 1024 * 1024 },
      });
      const before = await peakRss(app.pid);
      const replies = await Promise.all(
        [0, 1].map(() =>
          client.send("/login", {
            method: "POST",
            headers: { origin: app.url, "sec-fetch-site": "same-origin" },
            chunks: { size: 64 * 1024, total: 100 * 1024 * 1024 },
          }),
        ),
      );
      for (const reply of replies) expect(reply.status).toBe(413);
      const growth = (await peakRss(app.pid)) - before;
      expect(growth).toBeLessThan(20 * 1024 * 1024);
      // The server is fine afterwards.
      expect((await client.post("/login", ALICE)).status).toBe(303);
    } finally {
      await app.stop();
    }
  });
});

describe("login counters in the store", () => {
  it("are shared by every process of the app, and survive a restart", async () => {
    const first = await production();
    const second = await production();
    try {
      const guesser = new Client(first.url, harness, "127.0.0.31");
      for (let guess = 0; guess < 10; guess++) expect((await guesser.post("/login", WRONG)).status).toBe(401);
      // Wait out the first lock and fail once more: the lock doubles, long enough to outlast a restart.
      const locked = await guesser.post("/login", WRONG);
      expect(locked.status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, Number(locked.headers["retry-after"]) * 1000 + 100));
      expect((await guesser.post("/login", WRONG)).status).toBe(401);
      // Another process of the same app knows.
      expect((await new Client(second.url, harness, "127.0.0.31").post("/login", ALICE)).status).toBe(429);
    } finally {
      await first.stop();
      await second.stop();
    }
    const restarted = await production();
    try {
      const refused = await new Client(restarted.url, harness, "127.0.0.31").post("/login", WRONG);
      expect(refused.status).toBe(429);
      expect(await store.attemptCounters()).toBeGreaterThan(0);
    } finally {
      await restarted.stop();
    }
  });
});

describe("behind a proxy", () => {
  const overHttps = { "x-forwarded-proto": "https", "x-forwarded-host": "app.example" };

  it("without TRUST_PROXY, ignores X-Forwarded-*: no __Host- cookie on a claim of https, no escape from throttling by a made-up address", async () => {
    const app = await production();
    try {
      const client = new Client(app.url, harness, "127.0.0.32");
      const login = await client.post("/login", ALICE, { ...overHttps, "x-forwarded-for": "198.51.100.1" });
      expect(login.status).toBe(303);
      expect(login.setCookies.has("__Host-session")).toBe(false);
      expect(login.setCookies.has("session")).toBe(true);

      for (let guess = 0; guess < 10; guess++) {
        await client.post("/login", WRONG, { "x-forwarded-for": `198.51.100.${guess + 10}` });
      }
      const refused = await client.post("/login", ALICE, { "x-forwarded-for": "198.51.100.99" });
      expect(refused.status).toBe(429);
    } finally {
      await app.stop();
    }
  });

  it("with TRUST_PROXY=1, over https: the login cookie is __Host-session, Secure, and the client's address is the one the proxy added", async () => {
    const app = await production({ TRUST_PROXY: "1" });
    try {
      const browser = new Client(app.url, harness, "127.0.0.33");
      const login = await browser.post("/login", ALICE, { ...overHttps, origin: "https://app.example", "x-forwarded-for": "203.0.113.7" });
      expect(login.status).toBe(303);
      const cookie = login.setCookies.get("__Host-session");
      expect(cookie).toBeDefined();
      expect(cookie!.attributes).toContain("Secure");
      expect(cookie!.attributes).toContain("Path=/");
      expect(cookie!.attributes.some((attribute) => /^domain=/i.test(attribute))).toBe(false);
      expect(login.setCookies.has("session")).toBe(false);
      expect((await browser.get("/profile", overHttps)).status).toBe(200);

      // Ten failures from one client behind the proxy lock that client, not the next one.
      const proxy = new Client(app.url, harness, "127.0.0.34");
      const https = { ...overHttps, origin: "https://app.example" };
      for (let guess = 0; guess < 10; guess++) {
        // A made-up entry on the left is the client's own claim: the proxy's entry on the right decides.
        await proxy.post("/login", WRONG, { ...https, "x-forwarded-for": `10.9.9.${guess}, 203.0.113.8` });
      }
      expect((await proxy.post("/login", ALICE, { ...https, "x-forwarded-for": "203.0.113.8" })).status).toBe(429);
      expect((await proxy.post("/login", ALICE, { ...https, "x-forwarded-for": "203.0.113.9" })).status).toBe(303);
    } finally {
      await app.stop();
    }
  });

  it("without TRUST_PROXY, warns once when requests carry X-Forwarded-Proto", async () => {
    const app = await production();
    try {
      const client = new Client(app.url, harness, "127.0.0.35");
      await client.get("/", overHttps);
      await client.get("/", overHttps);
      // The warning is printed by the server process; read it from its output.
      const { output } = app as unknown as { output(): string };
      expect(output().match(/set TRUST_PROXY=1/g)).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });
});
