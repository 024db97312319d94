/**
 * The session cache, where the app turns it on (the PostgreSQL and Durable
 * Objects apps, a round trip away from their store): a page load right after
 * a store read is answered from the sealed copy, so a sign-out from another
 * device reaches a plain page up to SESSION_CACHE_MAX_AGE_SECONDS later,
 * but the profile, which lists and signs out devices, asks the store and
 * signs the ended session out at once. Where the app does not turn it on,
 * no copy is ever sent. Whether it does is read from what the app documents:
 * its example settings name SESSION_CACHE_KEYS. (Shared by the four templates.)
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/password.js";
import { harness } from "../support/harness.js";
import type { HarnessApp } from "./harness.js";
import { Client, LOGIN_COOKIE } from "./http.js";

const ALICE = { username: "alice", password: "correct horse battery staple" };
const CACHE_COOKIE = `${LOGIN_COOKIE}.cache`;
const exampleSettings = [".env.example", ".dev.vars.example"]
  .map((file) => new URL(`../../${file}`, import.meta.url))
  .filter((file) => existsSync(file))
  .map((file) => readFileSync(file, "utf8"))
  .join("\n");
const cachesSessions = /^SESSION_CACHE_KEYS=/m.test(exampleSettings);

let app: HarnessApp;
let nextAddress = 120;

beforeAll(async () => {
  app = await harness.start({ mode: "production", env: { USERS: `alice:${await hashPassword(ALICE.password)}` } });
});

afterAll(async () => {
  await app?.stop();
});

async function signedIn(): Promise<Client> {
  const client = new Client(app.url, harness, `127.0.0.${nextAddress++}`);
  expect((await client.post("/login", ALICE)).status).toBe(303);
  return client;
}

describe.runIf(cachesSessions)("the session cache", () => {
  it("sends a sealed copy with the session, holding no user name", async () => {
    const client = await signedIn();
    const profile = await client.get("/profile");
    expect(profile.status).toBe(200);
    const copy = client.jar.get(CACHE_COOKIE);
    expect(copy).toBeTruthy();
    expect(copy).not.toContain("alice");
    expect(Buffer.from(copy!.replace(/[^A-Za-z0-9_-]/g, ""), "base64url").toString("latin1")).not.toContain("alice");
  });

  it("answers a page load from the copy for a while after another device signed this one out, but the profile asks the store at once", async () => {
    const laptop = await signedIn();
    expect((await laptop.get("/profile")).status).toBe(200);
    const phone = await signedIn();
    expect((await phone.post("/sessions/revoke-others")).status).toBe(303);
    // The documented bound: a plain page may go on trusting the copy until it is maxAge old.
    const home = await laptop.get("/");
    expect(home.status).toBe(200);
    expect(home.body).toContain("You are signed in as <strong>alice</strong>");
    // The profile verifies with the store: the ended session is signed out now, not maxAge later.
    const profile = await laptop.get("/profile");
    expect(profile.status).toBe(303);
    expect(profile.headers.location).toBe("/login");
    expect((await laptop.get("/login")).body).toContain("Your session has ended. Please sign in again.");
    const after = await laptop.get("/");
    expect(after.body).not.toContain("You are signed in as");
  });
});

describe.runIf(!cachesSessions)("without a session cache", () => {
  it("sends no copy of the session: every page load reads the session itself", async () => {
    const client = await signedIn();
    expect((await client.get("/profile")).status).toBe(200);
    expect((await client.get("/")).status).toBe(200);
    expect(client.jar.has(CACHE_COOKIE)).toBe(false);
  });
});
