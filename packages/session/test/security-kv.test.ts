/**
 * The fixation and expiry claims of SECURITY.md for KvSessionStore, on a
 * real (local) Workers KV namespace served by workerd through Miniflare.
 * The app runs on Node here; the KV tests in kv.test.ts run it inside
 * workerd. One location only: what happens across locations (eventual
 * consistency) is documented in SECURITY.md, not testable here.
 */
import { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KvSessionStore, type KvNamespaceLike, type SessionOptions } from "../src/index.js";
import { generateSessionId, hashSessionId } from "../src/stores/session-id.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { bodyOf, pause } from "./support/lifetime-probe.js";
import type { Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let mf: Miniflare;
let kv: KvNamespaceLike;
const running: Served[] = [];

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
    kvNamespaces: ["SESSIONS"],
    compatibilityDate: "2025-06-01",
    host: "127.0.0.1",
    port: 0,
  });
  await mf.ready;
  kv = (await mf.getKVNamespace("SESSIONS")) as unknown as typeof kv;
}, 60_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});
afterAll(async () => {
  await mf?.dispose();
});

async function start(options: Partial<SessionOptions> = {}): Promise<CookieClient> {
  const served = await serveSessionApp({ store: new KvSessionStore({ userTagSecret, getStore: () => kv }), ...options });
  running.push(served);
  return new CookieClient(served.url);
}

const storedValue = async (id: string) => kv.get(`session:${await hashSessionId(id)}`);

describe("KvSessionStore against session fixation", () => {
  it("never stores anything under a client-chosen ID", async () => {
    const client = await start();
    const chosen = generateSessionId();
    await client.get("/increment", { headers: { cookie: `session=${chosen}` } });
    expect(client.jar.get("session")).not.toBe(chosen);
    expect(await storedValue(chosen)).toBeNull();
    expect(await storedValue(client.jar.get("session")!)).toMatch(/^3\./);
  });

  it("does not let an attacker who planted his own session ID ride the victim's login (same location)", async () => {
    const attacker = await start();
    await attacker.get("/increment");
    const planted = attacker.jar.get("session")!;

    const victim = new CookieClient(attacker.baseUrl);
    victim.jar.set("session", planted);
    await victim.get("/login?user=victim");
    expect(victim.jar.get("session")).not.toBe(planted);

    // Not a record any more (a tombstone, which loads as no session).
    expect(await storedValue(planted)).not.toMatch(/^3\./);
    expect(bodyOf(await attacker.get("/read"))).toEqual({ data: {}, isFresh: true });
    expect(bodyOf(await victim.get("/read")).data).toMatchObject({ user: "victim" });
  });
});

describe("KvSessionStore expiry", () => {
  it("rejects an expired session the client keeps sending, though KV keeps the key for 60 s", async () => {
    const client = await start({ cookieOptions: { maxAge: 1 }, rolling: false });
    await client.get("/increment");
    const kept = client.jar.get("session")!;
    await pause(1_200);
    expect(await storedValue(kept)).toMatch(/^3\./);
    expect(bodyOf(await client.get("/read", { headers: { cookie: `session=${kept}` } }))).toEqual({
      data: {},
      isFresh: true,
    });
  });
});
