import { afterEach, describe, expect, it } from "vitest";
import { SignedCookieStore, UnsafeMemoryStore, UnsignedCookieStore, session, SessionSetupError, type SessionOptions } from "../src/index.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { pause } from "./support/lifetime-probe.js";
import type { Served } from "./support/serve.js";

const maxAgeOf = (setCookies: string[]) => Number(parseSetCookie(setCookies[0]!).attributes.get("max-age"));

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(options: Partial<SessionOptions>, adapterOptions?: { trustProxy: boolean }) {
  served = await serveSessionApp({ store: new UnsafeMemoryStore(), ...options }, undefined, adapterOptions);
  return new CookieClient(served.url);
}

describe("rolling expiry", () => {
  it("refreshes an unchanged session at most once per refresh interval", async () => {
    const client = await start({ cookieOptions: { maxAge: 5 }, rolling: { refreshInterval: 0.4 } });
    await client.get("/increment");
    expect((await client.get("/read")).setCookies).toEqual([]);
    await pause(500);
    const refreshed = await client.get("/read");
    expect(refreshed.setCookies).toHaveLength(1);
    expect(maxAgeOf(refreshed.setCookies)).toBe(5);
    expect((await client.get("/read")).setCookies).toEqual([]);
  });

  it("keeps an active session alive past its idle lifetime", async () => {
    const client = await start({ cookieOptions: { maxAge: 1 }, rolling: { refreshInterval: 0.2 } });
    await client.get("/increment");
    for (let i = 0; i < 5; i++) {
      await pause(400);
      expect(JSON.parse((await client.get("/read")).body).isFresh).toBe(false);
    }
  });

  it("with rolling: false, lets an unchanged session expire one lifetime after its last write", async () => {
    const client = await start({ cookieOptions: { maxAge: 1 }, rolling: false });
    await client.get("/increment");
    const id = client.jar.get("session")!;
    await pause(600);
    expect((await client.get("/read")).setCookies).toEqual([]);
    await pause(600);
    const late = await client.get("/read", { headers: { cookie: `session=${id}` } });
    expect(JSON.parse(late.body).isFresh).toBe(true);
  });

  it("never extends a session past its absolute lifetime, however active", async () => {
    const client = await start({ cookieOptions: { maxAge: 2 }, absoluteLifetime: 2.5, rolling: { refreshInterval: 0.2 } });
    await client.get("/increment");
    const started = Date.now();
    let lastMaxAge = 2;
    while (Date.now() - started < 2_000) {
      await pause(300);
      const response = await client.get("/increment");
      expect(JSON.parse(response.body).count).toBeGreaterThan(1);
      lastMaxAge = maxAgeOf(response.setCookies);
    }
    expect(lastMaxAge).toBeLessThan(2);
    await pause(800);
    expect(JSON.parse((await client.get("/read")).body).isFresh).toBe(true);
  });

  it("rejects a signed cookie replayed after its lifetime even if the client ignores Max-Age", async () => {
    const store = new SignedCookieStore([await SignedCookieStore.generateKey()]);
    const client = await start({ store, cookieOptions: { maxAge: 1 } });
    await client.get("/increment");
    const kept = client.jar.get("session")!;
    await pause(1_200);
    const replay = await client.get("/read", { headers: { cookie: `session=${kept}` } });
    expect(JSON.parse(replay.body)).toEqual({ data: {}, isFresh: true });
  });

  // 3600.0005 s is 3,600,000.5 ms: a deadline with a fraction, which a record header of whole numbers must still hold.
  it.each([
    ["signed cookie", async () => new SignedCookieStore([await SignedCookieStore.generateKey()])],
    ["unsigned cookie", async () => new UnsignedCookieStore()],
  ])("keeps a %s session whose lifetime is not a whole number of milliseconds", async (_name, makeStore) => {
    const client = await start({ store: await makeStore(), cookieOptions: { maxAge: 3600.0005 } });
    await client.get("/increment");
    const second = JSON.parse((await client.get("/increment")).body);
    expect(second).toEqual({ count: 2 });
    expect(JSON.parse((await client.get("/read")).body)).toEqual({ data: { count: 2 }, isFresh: false });
  });

  it("treats cookieOptions.expires as a fixed deadline", async () => {
    const client = await start({ cookieOptions: { expires: new Date(Date.now() + 3_000) } });
    const { setCookies } = await client.get("/increment");
    expect(maxAgeOf(setCookies)).toBeGreaterThanOrEqual(1);
    expect(maxAgeOf(setCookies)).toBeLessThanOrEqual(3);
  });

  it("refuses a lifetime that is not a positive number of seconds", () => {
    expect(() => session({ store: new UnsafeMemoryStore(), cookieOptions: { maxAge: 0 } })).toThrow(SessionSetupError);
    expect(() => session({ store: new UnsafeMemoryStore(), absoluteLifetime: -1 })).toThrow(/absoluteLifetime/);
  });
});

describe("cookie attributes", () => {
  it("adds Secure when the request came over https", async () => {
    const client = await start({}, { trustProxy: true });
    const { setCookies } = await client.get("/increment", { headers: { "x-forwarded-proto": "https" } });
    expect(parseSetCookie(setCookies[0]!).attributes.has("secure")).toBe(true);
  });

  it("forces Secure and Path=/ for a __Host- cookie, even over http", async () => {
    const client = await start({ cookieName: "__Host-session" });
    const { name, attributes } = parseSetCookie((await client.get("/increment")).setCookies[0]!);
    expect(name).toBe("__Host-session");
    expect(attributes.has("secure")).toBe(true);
    expect(attributes.get("path")).toBe("/");
    expect(attributes.has("domain")).toBe(false);
  });

  it("refuses a __Host- cookie with a Domain at setup", () => {
    expect(() => session({ store: new UnsafeMemoryStore(), cookieName: "__Host-s", cookieOptions: { domain: "example.com" } })).toThrow(/__Host-/);
  });

  it("lets the app override SameSite and add a Domain", async () => {
    const client = await start({ cookieOptions: { sameSite: "strict", domain: "127.0.0.1" } });
    const { attributes } = parseSetCookie((await client.get("/increment")).setCookies[0]!);
    expect(attributes.get("samesite")?.toLowerCase()).toBe("strict");
    expect(attributes.get("domain")).toBe("127.0.0.1");
    expect(attributes.has("httponly")).toBe(true);
  });
});
