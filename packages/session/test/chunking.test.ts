/**
 * Large cookie-store sessions spread over `session.0`, `session.1`, ...
 * (opt-in `chunking`), over real HTTP: written under the per-cookie budget
 * that counts name and attributes, read back whole, stale chunks expired as
 * the session shrinks or ends, and any tampered, missing, reordered or extra
 * chunk refused as a whole.
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { afterEach, describe, expect, it } from "vitest";
import {
  EncryptedCookieStore,
  MAX_COOKIE_BYTES,
  SessionTooLargeError,
  SignedCookieStore,
  UnsignedCookieStore,
  session,
  type SessionOptions,
  type SessionStore,
} from "../src/index.js";
import { sessionRoutes } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { serve, type Served } from "./support/serve.js";

const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

/** Blob sizes that take two and three chunks: base64 makes the protected values a third larger. */
const cookieStores: { name: string; make: () => Promise<SessionStore>; protectsValue: boolean; twoChunks: number; threeChunks: number }[] = [
  {
    name: "SignedCookieStore",
    make: async () => new SignedCookieStore([await SignedCookieStore.generateKey()]),
    protectsValue: true,
    twoChunks: 4500,
    threeChunks: 7000,
  },
  {
    name: "EncryptedCookieStore",
    make: async () => new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]),
    protectsValue: true,
    twoChunks: 4500,
    threeChunks: 7000,
  },
  { name: "UnsignedCookieStore", make: async () => new UnsignedCookieStore(), protectsValue: false, twoChunks: 6000, threeChunks: 9000 },
];

async function start(options: SessionOptions) {
  const errors: unknown[] = [];
  const served = await serve(
    compose(
      (ctx) => {
        ctx.handleError = (error) => (errors.push(error), new Response(String(error), { status: 500 }));
      },
      cookie(),
      session(options),
      sessionRoutes,
    ),
  );
  running.push(served);
  return { client: new CookieClient(served.url), errors };
}

const chunkNames = (jar: Map<string, string>) => [...jar.keys()].filter((name) => name.startsWith("session")).sort();
const readData = async (client: CookieClient, cookieHeader?: string) => {
  const response = await client.get("/read", cookieHeader === undefined ? undefined : { headers: { cookie: cookieHeader } });
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as { data: Record<string, unknown>; isFresh: boolean };
};
const header = (entries: [string, string][]) => entries.map(([name, value]) => `${name}=${value}`).join("; ");

describe.each(cookieStores)("chunking with $name", ({ make, protectsValue, twoChunks, threeChunks }) => {
  it("spreads a large session over session.0, session.1, ... and reads it back whole", async () => {
    const { client } = await start({ store: await make(), chunking: true });
    const written = await client.get(`/blob?size=${threeChunks}`);
    expect(written.status).toBe(200);
    expect(chunkNames(client.jar)).toEqual(["session.0", "session.1", "session.2"]);
    for (const line of written.setCookies) expect(line.length).toBeLessThanOrEqual(MAX_COOKIE_BYTES);
    expect((await readData(client)).data).toEqual({ blob: "x".repeat(threeChunks) });
  });

  it("keeps non-ASCII data intact across chunk boundaries", async () => {
    const { client } = await start({ store: await make(), chunking: { maxChunks: 4 } });
    const text = "żółw 🐢 ".repeat(250);
    const served = await client.get(`/push?item=${encodeURIComponent(text)}`);
    expect(served.status).toBe(200);
    expect(chunkNames(client.jar).length).toBeGreaterThan(1);
    expect((await readData(client)).data).toEqual({ items: [text] });
  });

  it("expires the chunks it no longer needs as the session shrinks, back to one plain cookie", async () => {
    const { client } = await start({ store: await make(), chunking: true });
    await client.get(`/blob?size=${threeChunks}`);
    expect(chunkNames(client.jar)).toEqual(["session.0", "session.1", "session.2"]);
    const fewer = await client.get(`/blob?size=${twoChunks}`);
    expect(chunkNames(client.jar)).toEqual(["session.0", "session.1"]);
    expect(
      fewer.setCookies
        .map(parseSetCookie)
        .find((cookie) => cookie.name === "session.2")
        ?.attributes.get("max-age"),
    ).toBe("0");
    const shrunk = await client.get("/blob?size=10");
    expect(chunkNames(client.jar)).toEqual(["session"]);
    const expired = shrunk.setCookies.map(parseSetCookie).filter((cookie) => cookie.attributes.get("max-age") === "0");
    expect(expired.map((cookie) => cookie.name).sort()).toEqual(["session.0", "session.1"]);
    expect((await readData(client)).data).toEqual({ blob: "x".repeat(10) });
  });

  it("clears every chunk when the session is destroyed", async () => {
    const { client } = await start({ store: await make(), chunking: true });
    await client.get(`/blob?size=${twoChunks}`);
    await client.get("/logout");
    expect(chunkNames(client.jar)).toEqual([]);
  });

  it("refuses a tampered, missing, reordered or extra chunk, and a plain cookie beside chunks, as a whole", async () => {
    const { client } = await start({ store: await make(), chunking: true });
    await client.get(`/blob?size=${twoChunks}`);
    const [first, second] = [client.jar.get("session.0")!, client.jar.get("session.1")!];
    const flipped = second.slice(0, 40) + (second[40] === "A" ? "B" : "A") + second.slice(41);
    const cases: Record<string, [string, string][]> = {
      // An unsigned value may be edited by design; the other rules hold for every store.
      ...(protectsValue
        ? {
            tampered: [
              ["session.0", first],
              ["session.1", flipped],
            ] as [string, string][],
          }
        : {}),
      missing: [["session.0", first]],
      gap: [
        ["session.0", first],
        ["session.2", second],
      ],
      reordered: [
        ["session.0", second],
        ["session.1", first],
      ],
      extra: [
        ["session.0", first],
        ["session.1", second],
        ["session.2", "AAAA"],
      ],
      "plain beside chunks": [
        ["session", first],
        ["session.0", first],
        ["session.1", second],
      ],
    };
    expect(
      (
        await readData(
          client,
          header([
            ["session.0", first],
            ["session.1", second],
          ]),
        )
      ).isFresh,
    ).toBe(false);
    for (const [name, entries] of Object.entries(cases)) {
      expect({ name, ...(await readData(client, header(entries))) }).toEqual({ name, data: {}, isFresh: true });
    }
  });

  it("refuses a session over maxChunks with a SessionTooLargeError that gives the size and the limit", async () => {
    const { client, errors } = await start({ store: await make(), chunking: { maxChunks: 2 } });
    const response = await client.get("/blob?size=12000");
    expect(response.status).toBe(500);
    expect(response.setCookies).toEqual([]);
    const error = errors[0] as SessionTooLargeError;
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect(error.limit).toBe(2 * MAX_COOKIE_BYTES);
    expect(error.size).toBeGreaterThan(error.limit);
  });
});

describe("the per-cookie size rule", () => {
  it("counts the name and attributes, not only the value", async () => {
    const store = new UnsignedCookieStore();
    const { client, errors } = await start({ store, cookieOptions: { domain: "127.0.0.1", path: "/" } });
    // A value that alone fits in 4096 bytes with its name, but not once the attributes are added.
    const now = Date.now();
    const overhead = `3.${now.toString(36)}.${now.toString(36)}.0.`.length + '{"blob":""}'.length;
    const response = await client.get(`/blob?size=${MAX_COOKIE_BYTES - "session=".length - overhead - 40}`);
    expect(response.status).toBe(500);
    expect(errors[0]).toBeInstanceOf(SessionTooLargeError);
  });

  it("without chunking, keeps the one-cookie limit as a clear error", async () => {
    const { client, errors } = await start({ store: new SignedCookieStore([await SignedCookieStore.generateKey()]) });
    expect((await client.get("/blob?size=5000")).status).toBe(500);
    expect(String(errors[0])).toMatch(/chunking/);
  });
});
