/**
 * Login throttling over real HTTP, in this platform's runtime, with the
 * counters where this platform keeps them. Each test uses its own client
 * addresses (127.0.0.x, 127.0.1.x for floods) and its own account, so their
 * counters never meet. (Shared by the four templates.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryAttemptStore } from "../../src/login-attempts-memory.js";
import type { LockoutRule } from "../../src/login-throttle.js";
import { hashPassword } from "../../src/password.js";
import { harness } from "../support/harness.js";
import type { HarnessApp } from "./harness.js";
import { Client, type Reply } from "./http.js";

const PASSWORD = "correct horse battery staple";
/** An account of each test's own: its account-wide counter is the test's alone. */
const ACCOUNTS = ["typo", "tenfail", "backoff", "burst", "flooded", "stuffed", "roamer"] as const;
type Account = (typeof ACCOUNTS)[number];
const DEMO = { username: "demo", password: "demo-password" };
let app: HarnessApp;

beforeAll(async () => {
  const users = (await Promise.all(ACCOUNTS.map(async (name) => `${name}:${await hashPassword(PASSWORD)}`))).join(",");
  app = await harness.start({ env: { USERS: users } });
});

afterAll(async () => {
  await app?.stop();
});

function from(address: string): Client {
  return new Client(app.url, harness, address);
}

function right(username: Account): { username: string; password: string } {
  return { username, password: PASSWORD };
}

function wrong(username: Account, guess = "not-the-password"): { username: string; password: string } {
  return { username, password: guess };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One wrong guess from each address, `concurrency` at a time, as a credential-stuffing list is tried. */
async function stuff(username: Account, addresses: string[], concurrency = 10): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let start = 0; start < addresses.length; start += concurrency) {
    const batch = addresses.slice(start, start + concurrency);
    replies.push(...(await Promise.all(batch.map((address, index) => from(address).post("/login", wrong(username, `leaked-${start + index}`))))));
  }
  return replies;
}

/** 127.0.1.<first> .. : a loopback address for each bot, far from the 127.0.0.x the other tests use. */
function bots(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `127.0.1.${first + index}`);
}

describe("login throttling", () => {
  it("goes unnoticed by a user who is not under attack: a few typos, then the right password signs in", async () => {
    const user = from("127.0.0.11");
    for (let typo = 0; typo < 5; typo++) expect((await user.post("/login", wrong("typo"))).status).toBe(401);
    const reply = await user.post("/login", right("typo"));
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe("/profile");
  });

  it("after ten failures in a row for one name from one address, answers 429 with Retry-After, even to the right password", async () => {
    const guesser = from("127.0.0.12");
    for (let guess = 0; guess < 10; guess++) expect((await guesser.post("/login", wrong("tenfail"))).status).toBe(401);
    for (const attempt of [wrong("tenfail"), right("tenfail")]) {
      const refused = await guesser.post("/login", attempt);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(refused.body).toContain("Too many sign-in attempts");
      expect(refused.setCookies.size).toBe(0);
    }
  });

  it("backs off and then lets the next attempt through once Retry-After has passed", async () => {
    const user = from("127.0.0.13");
    for (let guess = 0; guess < 10; guess++) await user.post("/login", wrong("backoff"));
    const refused = await user.post("/login", right("backoff"));
    expect(refused.status).toBe(429);
    await sleep(Number(refused.headers["retry-after"]) * 1000 + 200);
    expect((await user.post("/login", right("backoff"))).status).toBe(303);
  });

  it("counts concurrent guesses one by one: of 40 at once, at most ten check a password", async () => {
    const guesser = from("127.0.0.14");
    const replies = await Promise.all(Array.from({ length: 40 }, () => guesser.post("/login", wrong("burst"))));
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(30);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
  });

  it("keeps the real user in from another address during a flood of guesses against the same name", async () => {
    const flooders = ["127.0.0.15", "127.0.0.16"].map(from);
    const flood = Promise.all(flooders.flatMap((flooder) => Array.from({ length: 30 }, () => flooder.post("/login", wrong("flooded")))));
    const user = from("127.0.0.17");
    const [floodReplies, userReply] = await Promise.all([flood, (async () => (await sleep(50), user.post("/login", right("flooded"))))()]);
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

describe("credential stuffing: one guess each from many addresses at one account", () => {
  it("locks the account for every unknown browser, while the real user's browser, which signed in before, signs in during the flood", async () => {
    // The real user signed in on this browser once before, and signed out: the device cookie stays.
    const owner = from("127.0.0.60");
    expect((await owner.post("/login", right("stuffed"))).status).toBe(303);
    expect(owner.jar.has("device")).toBe(true);
    expect((await owner.post("/logout")).status).toBe(303);
    expect(owner.jar.has("session")).toBe(false);

    // 60 bots, one leaked password each: no address and no name-and-address counter sees two.
    const first = await stuff("stuffed", bots(1, 60));
    const statuses = first.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(50);
    expect(statuses.slice(50)).toEqual(Array(10).fill(429));
    const refused = first.at(-1)!;
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(refused.body).toContain("Too many sign-in attempts");

    // An unknown browser is refused too, even with the right password, from an address that never tried.
    const stranger = await from("127.0.0.61").post("/login", right("stuffed"));
    expect(stranger.status).toBe(429);
    expect(stranger.setCookies.has("session")).toBe(false);

    // The flood goes on while the real user signs in, on the device's own counter.
    const [more, mine] = await Promise.all([stuff("stuffed", bots(61, 30)), owner.post("/login", right("stuffed"))]);
    expect(mine.status).toBe(303);
    expect(mine.headers.location).toBe("/profile");
    expect((await owner.get("/profile")).status).toBe(200);
    // None of the later bots got to check a password while the account was locked for them.
    expect(more.map((reply) => reply.status).filter((status) => status !== 429)).toHaveLength(0);
    expect((await from("127.0.0.62").post("/login", right("stuffed"))).status).toBe(429);
  });

  it("treats a device cookie for another account, or an edited one, as an unknown browser", async () => {
    // Another account's device cookie, earned honestly.
    const elsewhere = from("127.0.0.63");
    expect((await elsewhere.post("/login", right("typo"))).status).toBe(303);
    const forOtherAccount = from("127.0.0.64");
    forOtherAccount.jar.set("device", elsewhere.jar.get("device")!);
    expect((await forOtherAccount.post("/login", right("stuffed"))).status).toBe(429);

    const sealed = elsewhere.jar.get("device")!;
    const edited = from("127.0.0.66");
    edited.jar.set("device", `${sealed.slice(0, 20)}${sealed[20] === "A" ? "B" : "A"}${sealed.slice(21)}`);
    expect((await edited.post("/login", right("stuffed"))).status).toBe(429);
    // Not a cookie that the app wrote in the clear either: a made-up one is refused the same.
    const madeUp = from("127.0.0.67");
    madeUp.jar.set("device", encodeURIComponent(JSON.stringify({ device: "A".repeat(22), accounts: ["stuffed"] })));
    expect((await madeUp.post("/login", right("stuffed"))).status).toBe(429);
  });

  it("judges a known browser on its own counter: its failures from many addresses lock it, and no one else", async () => {
    // A laptop on the move: the user's own browser, failing from a new address each time.
    const laptop = from("127.0.0.70");
    expect((await laptop.post("/login", right("roamer"))).status).toBe(303);
    const device = laptop.jar.get("device")!;
    const onTheMove = (address: string) => {
      const client = from(address);
      client.jar.set("device", device);
      return client;
    };
    for (let index = 0; index < 10; index++) {
      expect((await onTheMove(`127.0.0.${71 + index}`).post("/login", wrong("roamer"))).status).toBe(401);
    }
    const locked = await onTheMove("127.0.0.81").post("/login", right("roamer"));
    expect(locked.status).toBe(429);
    // Those ten never reached the account's shared counter: an unknown browser signs in.
    const newPhone = from("127.0.0.82");
    expect((await newPhone.post("/login", right("roamer"))).status).toBe(303);
    expect(newPhone.jar.get("device")).not.toBe(device);
  });
});

describe("the in-memory counters (Vercel, Netlify, npm run dev)", () => {
  const LOCK_AT_ONCE: LockoutRule = { freeAttempts: 1, firstLockMs: 60_000, maxLockMs: 60_000, forgetAfterMs: 3_600_000 };
  const NEVER_LOCK: LockoutRule = { freeAttempts: 1_000, firstLockMs: 1_000, maxLockMs: 1_000, forgetAfterMs: 3_600_000 };

  it("evict unlocked counters before a locked one: a spray of fresh keys does not lift a lock", async () => {
    const store = new MemoryAttemptStore(3);
    expect(await store.attempt("account:guessed", LOCK_AT_ONCE)).toEqual({ allowed: true });
    expect((await store.attempt("account:guessed", LOCK_AT_ONCE)).allowed).toBe(false);
    for (let index = 0; index < 100; index++) await store.attempt(`address:spray-${index}`, NEVER_LOCK);
    const still = await store.attempt("account:guessed", LOCK_AT_ONCE);
    expect(still.allowed).toBe(false);
    expect(still.allowed === false && still.retryAfterMs).toBeGreaterThan(50_000);
  });

  it("when every counter is locked, evict the one whose lock ends first", async () => {
    const store = new MemoryAttemptStore(2);
    const shortLock: LockoutRule = { ...LOCK_AT_ONCE, firstLockMs: 30_000, maxLockMs: 30_000 };
    await store.attempt("long", LOCK_AT_ONCE);
    await store.attempt("short", shortLock);
    await store.attempt("newest", LOCK_AT_ONCE);
    // Over the limit with three locks: "short" ends first, so it went, though "long" is older.
    expect((await store.attempt("long", LOCK_AT_ONCE)).allowed).toBe(false);
    expect((await store.attempt("newest", LOCK_AT_ONCE)).allowed).toBe(false);
    expect(await store.attempt("short", shortLock)).toEqual({ allowed: true });
  });

  it("keep one device cookie key per process, made on first use", async () => {
    const store = new MemoryAttemptStore();
    const key = await store.deviceKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.deviceKey()).toBe(key);
    expect(await new MemoryAttemptStore().deviceKey()).not.toBe(key);
  });
});
