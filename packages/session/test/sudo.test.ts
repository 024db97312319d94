/**
 * Sudo mode over real HTTP: the session remembers when the user last proved
 * who they are, and the app asks whether that was recent enough.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SessionStore } from "../src/index.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient } from "./support/browser-like-client.js";
import { useEveryStore } from "./support/every-store.js";
import { pause } from "./support/lifetime-probe.js";
import type { Served } from "./support/serve.js";

const stores = useEveryStore();
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

async function start(store: SessionStore) {
  const errors: unknown[] = [];
  const served = await serveSessionApp({ store });
  running.push(served);
  return { client: new CookieClient(served.url), errors };
}

const json = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe.each(stores.filter((kit) => !kit.clientEditable))("sudo mode with $name", (kit) => {
  it("is off for a fresh session", async () => {
    const { client } = await start(await kit.make());
    expect(json(await client.get("/sudo?seconds=600"))).toEqual({ within: false, authenticatedAt: null });
  });

  it("remembers the sign-in time across requests and regenerate(), and answers by age", async () => {
    const { client } = await start(await kit.make());
    await client.get("/login?user=ada");
    const before = Date.now();
    const { authenticatedAt } = json(await client.get("/authenticate"));
    expect(Math.abs((authenticatedAt as number) - before)).toBeLessThan(1_000);
    await client.get("/login?user=ada");
    expect(json(await client.get("/sudo?seconds=600"))).toEqual({ within: true, authenticatedAt });
    await pause(700);
    expect(json(await client.get("/sudo?seconds=0.5")).within).toBe(false);
    expect(json(await client.get("/sudo?seconds=600")).within).toBe(true);
    // Proving it again renews it, without signing out.
    await client.get("/authenticate");
    expect(json(await client.get("/sudo?seconds=0.5")).within).toBe(true);
    expect(json(await client.get("/read")).data).toEqual({ user: "ada" });
  });
});

describe("sudo mode in an UnsignedCookieStore", () => {
  it("is refused, since the client could forge the time", async () => {
    const unsigned = stores.find((kit) => kit.clientEditable)!;
    const { client } = await start(await unsigned.make());
    expect((await client.get("/authenticate")).status).toBe(500);
    const now = Date.now();
    const forged = encodeURIComponent(`2|${now}|${now + 60_000}|${JSON.stringify({ authAt: now }).length}|${JSON.stringify({ authAt: now })}{}`);
    expect(json(await client.get("/sudo?seconds=600", { headers: { cookie: `session=${forged}` } }))).toEqual({
      within: false,
      authenticatedAt: null,
    });
  });
});
