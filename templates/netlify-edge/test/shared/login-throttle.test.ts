/**
 * Login throttling over real HTTP, in this platform's runtime, with the
 * counters where this platform keeps them. Each test uses its own client
 * addresses (127.0.0.x), so their counters never meet. (Shared by the four
 * templates.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness } from "../support/harness.ts";
import type { HarnessApp } from "./harness.ts";
import { Client } from "./http.ts";

const DEMO = { username: "demo", password: "demo-password" };
const WRONG = { username: "demo", password: "not-the-password" };
let app: HarnessApp;

beforeAll(async () => {
  app = await harness.start();
});

afterAll(async () => {
  await app?.stop();
});

function from(address: string): Client {
  return new Client(app.url, harness, address);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("login throttling", () => {
  it("goes unnoticed by a user who is not under attack: a few typos, then the right password signs in", async () => {
    const user = from("127.0.0.11");
    for (let typo = 0; typo < 5; typo++) expect((await user.post("/login", WRONG)).status).toBe(401);
    const reply = await user.post("/login", DEMO);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe("/profile");
  });

  it("after ten failures in a row for one name from one address, answers 429 with Retry-After, even to the right password", async () => {
    const guesser = from("127.0.0.12");
    for (let guess = 0; guess < 10; guess++) expect((await guesser.post("/login", WRONG)).status).toBe(401);
    for (const attempt of [WRONG, DEMO]) {
      const refused = await guesser.post("/login", attempt);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(refused.body).toContain("Too many sign-in attempts");
      expect(refused.setCookies.size).toBe(0);
    }
  });

  it("backs off and then lets the next attempt through once Retry-After has passed", async () => {
    const user = from("127.0.0.13");
    for (let guess = 0; guess < 10; guess++) await user.post("/login", WRONG);
    const refused = await user.post("/login", DEMO);
    expect(refused.status).toBe(429);
    await sleep(Number(refused.headers["retry-after"]) * 1000 + 200);
    expect((await user.post("/login", DEMO)).status).toBe(303);
  });

  it("counts concurrent guesses one by one: of 40 at once, at most ten check a password", async () => {
    const guesser = from("127.0.0.14");
    const replies = await Promise.all(Array.from({ length: 40 }, () => guesser.post("/login", WRONG)));
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(30);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
  });

  it("keeps the real user in from another address during a flood of guesses against the same name", async () => {
    const flooders = ["127.0.0.15", "127.0.0.16"].map(from);
    const flood = Promise.all(flooders.flatMap((flooder) => Array.from({ length: 30 }, () => flooder.post("/login", WRONG))));
    const user = from("127.0.0.17");
    const [floodReplies, userReply] = await Promise.all([flood, (async () => (await sleep(50), user.post("/login", DEMO)))()]);
    expect(floodReplies.filter((reply) => reply.status === 429).length).toBeGreaterThan(0);
    expect(userReply.status).toBe(303);
    expect((await user.get("/profile")).status).toBe(200);
  });

  it("after 100 failures from one address across many names, refuses that address for every name", async () => {
    const sprayer = from("127.0.0.18");
    const names = Array.from({ length: 100 }, (_, index) => `user${index}`);
    for (let batch = 0; batch < names.length; batch += 10) {
      const replies = await Promise.all(names.slice(batch, batch + 10).map((username) => sprayer.post("/login", { username, password: "guess" })));
      for (const reply of replies) expect(reply.status).toBe(401);
    }
    const refused = await sprayer.post("/login", DEMO);
    expect(refused.status).toBe(429);
    // Another address is not affected.
    expect((await from("127.0.0.19").post("/login", DEMO)).status).toBe(303);
  });
});
