/**
 * The security claims of SECURITY.md for RedisSessionStore, against a real
 * redis-server: fixation, regenerate, server-side and absolute expiry.
 */
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore, type SessionOptions } from "../src/index.js";
import { generateSessionId, hashSessionId } from "../src/stores/session-id.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { SHORT_LIVES, bodyOf, pause, readEvery400msUntilFresh } from "./support/lifetime-probe.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";
import type { Served } from "./support/serve.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

let redis: RedisServer;
let client: ReturnType<typeof createClient>;
const running: Served[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});
afterAll(async () => {
  if (client?.isOpen) await client.close();
  await redis?.stop();
});

async function start(options: Partial<SessionOptions> = {}): Promise<CookieClient> {
  const served = await serveSessionApp({ store: new RedisSessionStore({ userTagSecret, getClient: () => client }), ...options });
  running.push(served);
  return new CookieClient(served.url);
}

const exists = async (id: string) => (await redis.cli("EXISTS", `session:${await hashSessionId(id)}`)).trim() === "1";

describe("RedisSessionStore against session fixation", () => {
  it("never stores anything under a client-chosen ID", async () => {
    const client = await start();
    const chosen = generateSessionId();
    await client.get("/increment", { headers: { cookie: `session=${chosen}` } });
    expect(client.jar.get("session")).not.toBe(chosen);
    expect(await exists(chosen)).toBe(false);
    expect(await exists(client.jar.get("session")!)).toBe(true);
  });

  it("does not let an attacker who planted his own session ID ride the victim's login", async () => {
    const attacker = await start();
    await attacker.get("/increment");
    const planted = attacker.jar.get("session")!;

    const victim = new CookieClient(attacker.baseUrl);
    victim.jar.set("session", planted);
    await victim.get("/login?user=victim");
    const loggedIn = victim.jar.get("session")!;
    expect(loggedIn).not.toBe(planted);

    // Gone from Redis when the login response was sent, not some time later.
    expect(await exists(planted)).toBe(false);
    expect(await exists(loggedIn)).toBe(true);
    expect(bodyOf(await attacker.get("/read"))).toEqual({ data: {}, isFresh: true });
    expect(bodyOf(await victim.get("/read")).data).toMatchObject({ user: "victim" });
  });
});

describe("RedisSessionStore expiry", () => {
  it("rejects an expired session the client keeps sending", async () => {
    const client = await start({ cookieOptions: { maxAge: 1 }, rolling: false });
    await client.get("/increment");
    const kept = client.jar.get("session")!;
    await pause(1_200);
    expect(bodyOf(await client.get("/read", { headers: { cookie: `session=${kept}` } }))).toEqual({
      data: {},
      isFresh: true,
    });
  });

  it("cannot extend the absolute lifetime by activity", async () => {
    const client = await start(SHORT_LIVES);
    const outcome = await readEvery400msUntilFresh(client);
    expect(outcome.endedByServer).toBe(true);
    expect(outcome.aliveFor).toBeGreaterThan(2_000);
    expect(await exists(outcome.lastCookie)).toBe(false);
  });
});
