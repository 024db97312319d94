import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EncryptedCookieStore,
  MAX_COOKIE_BYTES,
  SessionTooLargeError,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
  session,
  type SessionStore,
} from "../src/index.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { serve, type Served } from "./support/serve.js";

type AnyStore = SessionStore<Record<string, unknown>>;

/** Serves the session app and reports any error the middleware throws, instead of a bare 500. */
async function serveReportingErrors(store: AnyStore) {
  const errors: unknown[] = [];
  const served = await serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) => {
          errors.push(error);
          return new Response(String(error), { status: error instanceof SessionTooLargeError ? 413 : 500 });
        };
      },
      cookie(),
      session({ store: store as SessionStore }),
      sessionRoutes,
    ),
  );
  return { served, errors };
}

const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);

async function expectFreshSession(client: CookieClient, cookieValue: string) {
  const response = await client.get("/read", { headers: { cookie: `session=${cookieValue}` } });
  expect(response.status).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ data: {}, isFresh: true });
}

describe.each([
  ["SignedCookieStore", SignedCookieStore],
  ["EncryptedCookieStore", EncryptedCookieStore],
] as const)("%s on bad input gives a fresh session, never a 500", (_name, Store) => {
  let served: Served;
  let errors: unknown[];
  let key: CryptoKey;
  let store: AnyStore;
  let client: CookieClient;
  let valid: string;

  beforeAll(async () => {
    key = await Store.generateKey();
    store = new Store([key]) as AnyStore;
    ({ served, errors } = await serveReportingErrors(store));
    client = new CookieClient(served.url);
    valid = await store.save(null, { count: 7 }, 60_000, {} as never);
  });
  afterAll(() => served.close());

  it("accepts the valid cookie the tests tamper with", async () => {
    const response = await client.get("/read", { headers: { cookie: `session=${valid}` } });
    expect(JSON.parse(response.body)).toEqual({ data: { count: 7 }, isFresh: false });
  });

  it("rejects a cookie with any one character changed", async () => {
    for (const at of [0, 5, Math.floor(valid.length / 2), valid.length - 1]) {
      await expectFreshSession(client, flip(valid, at));
    }
  });

  it("rejects a truncated cookie and one with bytes appended", async () => {
    await expectFreshSession(client, valid.slice(0, -1));
    await expectFreshSession(client, valid.slice(0, valid.length / 2));
    await expectFreshSession(client, valid + "A");
  });

  it("rejects a cookie that is not base64url at all", async () => {
    for (const garbage of ["%FF%FE", "....", "a.b.c", "x".repeat(3000), "%7B%22count%22%3A1%7D"]) {
      await expectFreshSession(client, garbage);
    }
  });

  it("rejects a cookie made with a key it does not hold", async () => {
    const foreign = new Store([await Store.generateKey()]) as AnyStore;
    await expectFreshSession(client, await foreign.save(null, { count: 1 }, 60_000, {} as never));
  });

  it("rejects an expired cookie that the client kept sending", async () => {
    const now = Date.now();
    const expired = await store.saveRecord!(null, { data: { count: 1 }, createdAt: now - 10_000, expiresAt: now - 1 }, {} as never);
    await expectFreshSession(client, expired);
  });

  it("rejects authentic data that is not valid JSON or not an object", async () => {
    for (const text of ["{not json", "[1,2,3]", "42", "null", '"text"']) {
      const writer = new Store([key], { stringify: () => text }) as AnyStore;
      await expectFreshSession(client, await writer.save(null, {}, 60_000, {} as never));
    }
  });

  it("refuses to write a session over 4096 bytes with a SessionTooLargeError naming size and limit", async () => {
    const fresh = new CookieClient(served.url);
    const response = await fresh.get("/blob?size=5000");
    expect(response.status).toBe(413);
    expect(response.setCookies).toEqual([]);
    const error = errors.at(-1) as SessionTooLargeError;
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect(error.limit).toBe(MAX_COOKIE_BYTES);
    expect(error.size).toBeGreaterThan(MAX_COOKIE_BYTES);
    expect(error.message).toContain(String(error.size));
    expect(error.message).toContain("4096");
  });

  it("writes a session just under the limit", async () => {
    const fresh = new CookieClient(served.url);
    const response = await fresh.get("/blob?size=2000");
    expect(response.status).toBe(200);
    expect(response.setCookies).toHaveLength(1);
  });

  it("raised no error other than the oversize one", () => {
    expect(errors.filter((error) => !(error instanceof SessionTooLargeError))).toEqual([]);
  });
});

describe("UnsignedCookieStore on bad input", () => {
  let served: Served;
  let client: CookieClient;
  const parse = (text: string) => {
    const value = JSON.parse(text);
    if (typeof value.count !== "number") throw new Error("count must be a number");
    return value;
  };
  beforeAll(async () => {
    ({ served } = await serveReportingErrors(new UnsignedCookieStore({ parse }) as AnyStore));
    client = new CookieClient(served.url);
  });
  afterAll(() => served.close());

  it("reads a valid cookie", async () => {
    const response = await client.get("/read", { headers: { cookie: `session=${encodeURIComponent('{"count":3}')}` } });
    expect(JSON.parse(response.body).data).toEqual({ count: 3 });
  });

  it("gives a fresh session for invalid JSON, a throwing parse, or a non-object", async () => {
    for (const text of ["{oops", '{"count":"3"}', "[1]", "null", "7", ""]) {
      await expectFreshSession(client, encodeURIComponent(text));
    }
  });

  it("gives a fresh session for a malformed percent-encoding", async () => {
    await expectFreshSession(client, "%E0%A4%A");
  });
});

describe("UnsafeMemoryStore", () => {
  it("gives a fresh session for an unknown ID and saves it under a new one", async () => {
    const { served } = await serveReportingErrors(new UnsafeMemoryStore() as AnyStore);
    try {
      const client = new CookieClient(served.url);
      const made_up = "A".repeat(43);
      const response = await client.get("/increment", { headers: { cookie: `session=${made_up}` } });
      expect(JSON.parse(response.body)).toEqual({ count: 1 });
      expect(client.jar.get("session")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client.jar.get("session")).not.toBe(made_up);
    } finally {
      await served.close();
    }
  });

  it("sweeps expired sessions instead of keeping them forever", async () => {
    const store = new UnsafeMemoryStore({ sweepInterval: 0 });
    for (let i = 0; i < 50; i++) await store.save(null, {}, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await store.save(null, {}, 60_000);
    expect(store.size).toBe(1);
  });
});
