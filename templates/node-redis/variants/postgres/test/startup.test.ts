/**
 * What only the PostgreSQL variant has to prove about starting: it refuses
 * to run in production without DATABASE_URL, creates its tables in an empty
 * database, sweeps expired rows, and keeps serving 503 pages (logged once)
 * while the database cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { freePort } from "./support/processes.js";
import { startApp, startServer } from "./support/start-app.js";
import { startStore, type TestStore } from "./support/store.js";

let users: string;
let store: TestStore;

beforeAll(async () => {
  users = `alice:${await hashPassword("correct horse battery staple")}`;
  store = await startStore();
});

afterAll(async () => {
  await store?.stop();
});

describe("start-up with PostgreSQL", () => {
  it("refuses to start in production without DATABASE_URL, saying what to set", async () => {
    await expect(startServer({ USERS: users }, "production")).rejects.toThrow("DATABASE_URL is not set");
  });

  it("creates the sessions table and its expiry index in an empty database", async () => {
    const app = await startApp({ mode: "production", env: { USERS: users }, store });
    try {
      const indexes = await store.query("SELECT indexname FROM pg_indexes WHERE tablename = 'hattip_sessions'");
      expect(indexes.rows.map((row) => row.indexname)).toContain("hattip_sessions_expires_at_idx");
      const health = await fetch(`${app.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ store: "PostgreSQL", storeReachable: true });
    } finally {
      await app.stop();
    }
  });

  it("answers 503 while the database cannot be reached, and says so once", async () => {
    const deadPort = await freePort();
    const server = await startServer({ DATABASE_URL: `postgres://127.0.0.1:${deadPort}/nowhere`, USERS: users }, "production");
    try {
      for (let round = 0; round < 3; round++) {
        const health = await fetch(`${server.url}/health`);
        expect(health.status).toBe(503);
      }
      const login = await fetch(`${server.url}/login`);
      expect(login.status).toBeLessThan(500);
      expect(server.output().match(/is not reachable/g)).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});
