/**
 * The security claims of SECURITY.md, one test each, through real HTTP
 * where the claim is about HTTP: fixation, cookie flags, server-side
 * expiry, the absolute lifetime, key rotation, weak secrets, and
 * constant-time verification.
 */
import { readFileSync, readdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { afterEach, describe, expect, it } from "vitest";
import {
  EncryptedCookieStore,
  SessionKeyError,
  SessionSetupError,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
  session,
  type SessionOptions,
  type SessionStore,
} from "../src/index.js";
import { generateSessionId } from "../src/stores/session-id.js";
import { serveSessionApp } from "./support/app.js";
import { CookieClient, parseSetCookie } from "./support/browser-like-client.js";
import { SHORT_LIVES, bodyOf, pause, readEvery400msUntilFresh } from "./support/lifetime-probe.js";
import { serve, type Served } from "./support/serve.js";

const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

async function start(options: SessionOptions, adapterOptions?: { trustProxy: boolean }): Promise<CookieClient> {
  const served = await serveSessionApp(options, undefined, adapterOptions);
  running.push(served);
  return new CookieClient(served.url);
}

const cookieStores: { name: string; make: () => Promise<SessionStore> }[] = [
  { name: "SignedCookieStore", make: async () => new SignedCookieStore([await SignedCookieStore.generateKey()]) },
  { name: "EncryptedCookieStore", make: async () => new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]) },
];
const allStores = [{ name: "UnsafeMemoryStore", make: async () => new UnsafeMemoryStore() as SessionStore }, ...cookieStores];

describe("session fixation", () => {
  it("never adopts a client-chosen ID in the memory store, even a well-formed one", async () => {
    const client = await start({ store: new UnsafeMemoryStore() });
    const chosen = generateSessionId();
    const response = await client.get("/increment", { headers: { cookie: `session=${chosen}` } });
    const issued = parseSetCookie(response.setCookies[0]!).value;
    expect(issued).not.toBe(chosen);
    expect(bodyOf(await client.get("/read", { headers: { cookie: `session=${chosen}` } })).isFresh).toBe(true);
    expect(bodyOf(await client.get("/read", { headers: { cookie: `session=${issued}` } })).data).toEqual({ count: 1 });
  });

  it("does not let an attacker who planted his own session ID ride the victim's login (memory store)", async () => {
    const attacker = await start({ store: new UnsafeMemoryStore() });
    await attacker.get("/increment");
    const planted = attacker.jar.get("session")!;

    const victim = new CookieClient(attacker.baseUrl);
    victim.jar.set("session", planted);
    const login = await victim.get("/login?user=victim");
    expect(login.status).toBe(303);
    expect(victim.jar.get("session")).not.toBe(planted);
    expect(bodyOf(await victim.get("/read")).data).toMatchObject({ user: "victim" });

    // The planted ID died with the login: the attacker holds a fresh, anonymous session.
    expect(bodyOf(await attacker.get("/read"))).toEqual({ data: {}, isFresh: true });
  });

  it("destroys the old ID at once on regenerate(), before the response is even read", async () => {
    const client = await start({ store: new UnsafeMemoryStore() });
    await client.get("/increment");
    const before = client.jar.get("session")!;
    await client.get("/login?user=ada");
    const replayed = await client.get("/read", { headers: { cookie: `session=${before}` } });
    expect(bodyOf(replayed)).toEqual({ data: {}, isFresh: true });
  });
});

describe("cookie flags", () => {
  it("sends HttpOnly, SameSite=Lax, Secure, Path=/ and Max-Age in seconds over https (X-Forwarded-Proto, trusted proxy)", async () => {
    const client = await start({ store: new UnsafeMemoryStore(), cookieOptions: { maxAge: 600 } }, { trustProxy: true });
    const response = await client.get("/increment", { headers: { "x-forwarded-proto": "https" } });
    const { attributes } = parseSetCookie(response.setCookies[0]!);
    expect(attributes.has("httponly")).toBe(true);
    expect(attributes.get("samesite")?.toLowerCase()).toBe("lax");
    expect(attributes.has("secure")).toBe(true);
    expect(attributes.get("path")).toBe("/");
    expect(attributes.get("max-age")).toBe("600");
    expect(attributes.has("expires") ? Date.parse(attributes.get("expires")!) > Date.now() : true).toBe(true);
  });

  it("ignores X-Forwarded-Proto from an untrusted client: no Secure over plain http", async () => {
    const client = await start({ store: new UnsafeMemoryStore() });
    const response = await client.get("/increment", { headers: { "x-forwarded-proto": "https" } });
    expect(parseSetCookie(response.setCookies[0]!).attributes.has("secure")).toBe(false);
  });

  it("clears the cookie on logout with the same Path and flags, so the browser really drops it", async () => {
    const client = await start({ store: new UnsafeMemoryStore() }, { trustProxy: true });
    const https = { headers: { "x-forwarded-proto": "https" } };
    await client.get("/increment", https);
    const logout = await client.get("/logout", https);
    const { value, attributes } = parseSetCookie(logout.setCookies[0]!);
    expect(value).toBe("");
    expect(attributes.get("max-age")).toBe("0");
    expect(attributes.get("path")).toBe("/");
    expect(attributes.has("secure")).toBe(true);
    expect(attributes.has("httponly")).toBe(true);
  });

  it("supports a __Host- cookie: Secure forced, Path=/, no Domain, and the session works", async () => {
    const client = await start({ store: new UnsafeMemoryStore(), cookieName: "__Host-session" }, { trustProxy: true });
    const https = { headers: { "x-forwarded-proto": "https" } };
    const { name, attributes } = parseSetCookie((await client.get("/increment", https)).setCookies[0]!);
    expect(name).toBe("__Host-session");
    expect(attributes.has("secure")).toBe(true);
    expect(attributes.get("path")).toBe("/");
    expect(attributes.has("domain")).toBe(false);
    expect(bodyOf(await client.get("/read", https)).data).toEqual({ count: 1 });
  });

  it("refuses a __Host- cookie with a Domain or another Path at setup, with a SessionSetupError", () => {
    const store = new UnsafeMemoryStore();
    expect(() => session({ store, cookieName: "__Host-s", cookieOptions: { domain: "example.com" } })).toThrow(SessionSetupError);
    expect(() => session({ store, cookieName: "__Host-s", cookieOptions: { path: "/app" } })).toThrow(SessionSetupError);
  });
});

/** A GET with a Host header of our choosing (fetch does not let one be set), as a proxy would forward it. */
function getWithHost(baseUrl: string, path: string, host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { headers: { host } }, (response) => {
      response.resume();
      response.on("end", () => resolve((response.headers["set-cookie"] as string[] | undefined) ?? []));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("Secure by default", () => {
  it("sends Secure behind a TLS-terminating proxy that speaks plain http to the app (an untrusted X-Forwarded-Proto changes nothing)", async () => {
    const client = await start({ store: new UnsafeMemoryStore() });
    // What the app sees behind Fly.io, Render or Railway: plain http, the public host name.
    const setCookies = await getWithHost(client.baseUrl, "/increment", "app.example.com");
    expect(parseSetCookie(setCookies[0]!).attributes.has("secure")).toBe(true);
    const spoofed = await client.get("/increment", { headers: { "x-forwarded-proto": "http" } });
    expect(spoofed.setCookies).toHaveLength(1);
  });

  it.each(["localhost", "dev.localhost", "127.0.0.1", "127.1.2.3", "[::1]"])(
    "leaves Secure out for plain http to the loopback host %s",
    async (host) => {
      const client = await start({ store: new UnsafeMemoryStore() });
      const setCookies = await getWithHost(client.baseUrl, "/increment", `${host}:3000`);
      expect(parseSetCookie(setCookies[0]!).attributes.has("secure")).toBe(false);
    },
  );

  it("leaves Secure out everywhere with secure: false, the explicit opt-out", async () => {
    const client = await start({ store: new UnsafeMemoryStore(), cookieOptions: { secure: false } });
    const setCookies = await getWithHost(client.baseUrl, "/increment", "app.example.com");
    expect(parseSetCookie(setCookies[0]!).attributes.has("secure")).toBe(false);
  });

  it("refuses secure: false for a __Host- or __Secure- cookie at setup", () => {
    const store = new UnsafeMemoryStore();
    expect(() => session({ store, cookieName: "__Secure-s", cookieOptions: { secure: false } })).toThrow(SessionSetupError);
  });
});

describe("cookie prefixes, matched as browsers match them (without regard to case)", () => {
  it.each(["__host-s", "__HOST-s", "__Host-s"])("refuses %s with a Domain or another Path at setup", (cookieName) => {
    const store = new UnsafeMemoryStore();
    expect(() => session({ store, cookieName, cookieOptions: { domain: "example.com" } })).toThrow(SessionSetupError);
    expect(() => session({ store, cookieName, cookieOptions: { path: "/app" } })).toThrow(SessionSetupError);
  });

  it.each(["__secure-s", "__host-s"])("forces Secure for %s, even over plain http to loopback", async (cookieName) => {
    const client = await start({ store: new UnsafeMemoryStore(), cookieName });
    const { attributes } = parseSetCookie((await client.get("/increment")).setCookies[0]!);
    expect(attributes.has("secure")).toBe(true);
  });
});

describe("data from the client", () => {
  it("cannot choose the prototype of a copy of ctx.session.data through an unsigned cookie", async () => {
    const served = await serve(
      compose(cookie(), session({ store: new UnsignedCookieStore() }), (ctx) => {
        const copy = Object.assign({}, ctx.session.data) as { isAdmin?: unknown };
        return Response.json({ isAdmin: copy.isAdmin ?? null, keys: Object.keys(ctx.session.data) });
      }),
    );
    running.push(served);
    const now = Date.now();
    const forged = `2|${now}|${now + 60_000}|0|{"theme":"dark","__proto__":{"isAdmin":true},"nested":{"constructor":{"prototype":{"isAdmin":true}}}}`;
    const legacy = '{"__proto__":{"isAdmin":true}}';
    for (const value of [forged, legacy]) {
      const response = await fetch(`${served.url}/`, { headers: { cookie: `session=${encodeURIComponent(value)}` } });
      const body = (await response.json()) as { isAdmin: unknown; keys: string[] };
      expect(body.isAdmin).toBeNull();
      expect(body.keys).not.toContain("__proto__");
    }
  });
});

describe("server-side expiry", () => {
  it.each(allStores)("$name rejects an expired session the client keeps sending, whatever Max-Age said", async ({ make }) => {
    const client = await start({ store: await make(), cookieOptions: { maxAge: 1 }, rolling: false });
    await client.get("/increment");
    const kept = client.jar.get("session")!;
    expect(bodyOf(await client.get("/read", { headers: { cookie: `session=${kept}` } })).data).toEqual({ count: 1 });
    await pause(1_200);
    expect(bodyOf(await client.get("/read", { headers: { cookie: `session=${kept}` } }))).toEqual({
      data: {},
      isFresh: true,
    });
  });

  it("cannot extend the absolute lifetime by activity, in any store", async () => {
    await Promise.all(
      allStores.map(async ({ name, make }) => {
        const client = await start({ store: await make(), ...SHORT_LIVES });
        const outcome = await readEvery400msUntilFresh(client);
        expect(outcome.endedByServer, `${name} let activity extend the absolute lifetime`).toBe(true);
        expect(outcome.aliveFor, `${name} did not keep an active session past its idle lifetime`).toBeGreaterThan(2_000);
        const replayed = await client.get("/read", { headers: { cookie: `session=${outcome.lastCookie}` } });
        expect(bodyOf(replayed)).toEqual({ data: {}, isFresh: true });
      }),
    );
  });
});

describe("key rotation over HTTP", () => {
  it.each([
    { name: "SignedCookieStore", Store: SignedCookieStore },
    { name: "EncryptedCookieStore", Store: EncryptedCookieStore },
  ] as const)("$name: old key verifies, new key signs, removing the old key logs its sessions out", async ({ Store }) => {
    const oldKey = await Store.generateKey();
    const newKey = await Store.generateKey();
    const deploy = (keys: [CryptoKey, ...CryptoKey[]]) =>
      start({ store: Store === SignedCookieStore ? new SignedCookieStore(keys) : new EncryptedCookieStore(keys) });

    const beforeRotation = await deploy([oldKey]);
    await beforeRotation.get("/increment");
    const oldCookie = beforeRotation.jar.get("session")!;

    const duringRotation = await deploy([newKey, oldKey]);
    duringRotation.jar.set("session", oldCookie);
    expect(bodyOf(await duringRotation.get("/read")).data).toEqual({ count: 1 });
    await duringRotation.get("/increment");
    const newCookie = duringRotation.jar.get("session")!;
    expect(newCookie).not.toBe(oldCookie);

    const afterRotation = await deploy([newKey]);
    const withNew = await afterRotation.get("/read", { headers: { cookie: `session=${newCookie}` } });
    expect(bodyOf(withNew).data).toEqual({ count: 2 });
    const withOld = await afterRotation.get("/read", { headers: { cookie: `session=${oldCookie}` } });
    expect(bodyOf(withOld)).toEqual({ data: {}, isFresh: true });
  });

  it("refuses weak secrets in generateKeysFromSecrets with a SessionKeyError", async () => {
    await expect(SignedCookieStore.generateKeysFromSecrets(["secret"])).rejects.toThrow(SessionKeyError);
    await expect(SignedCookieStore.generateKeysFromSecrets(["x".repeat(31)])).rejects.toThrow(SessionKeyError);
    await expect(SignedCookieStore.generateKeysFromSecrets(["x".repeat(32), "short"])).rejects.toThrow(SessionKeyError);
    await expect(SignedCookieStore.generateKeysFromSecrets([] as unknown as [string])).rejects.toThrow(SessionKeyError);
    const [key] = await SignedCookieStore.generateKeysFromSecrets(["x".repeat(32)]);
    expect(key.algorithm.name).toBe("HMAC");
  });
});

describe("constant-time verification (by reading the source)", () => {
  const sourceRoot = join(import.meta.dirname, "..", "src");
  const sources = (readdirSync(sourceRoot, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file, text: readFileSync(join(sourceRoot, file), "utf8") }));
  // A signature, tag, MAC or digest compared to anything but null, undefined or a length.
  const MAC_NAME = String.raw`\b\w*(?:[sS]ignature|[tT]ag|[mM]ac|[dD]igest)\b`;
  const OPERATOR = "[!=]==?(?!=)";
  const COMPARISON_WITH_A_MAC = new RegExp(
    String.raw`${MAC_NAME}(?!\s*\.)\s*${OPERATOR}\s*(?!\s|null\b|undefined\b|\d)\S` +
      String.raw`|(?<!\bnull\s*|\bundefined\s*|\d\s*|=)${OPERATOR}\s*${MAC_NAME}(?!\s*\.)`,
    "g",
  );
  const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");

  it("verifies HMAC signatures with crypto.subtle.verify", () => {
    const hmac = code(sources.find(({ file }) => file === join("crypto", "hmac.ts"))!.text);
    expect(hmac).toMatch(/crypto\.subtle\.verify\(\s*"HMAC"/);
  });

  it("never recomputes a signature to compare it, and never compares signatures or tags with == or ===", () => {
    // The signed cookie store and the signed session cache both recover through signedText.
    const protectedText = code(sources.find(({ file }) => file === join("crypto", "protected-text.ts"))!.text);
    const signed = protectedText.slice(protectedText.indexOf("signedText"), protectedText.indexOf("sealedText"));
    const recover = signed.slice(signed.indexOf("recover("));
    expect(code(sources.find(({ file }) => file === join("stores", "signed.ts"))!.text)).toContain("signedText.recover(");
    expect(recover).toContain("hmacVerify(");
    expect(recover).not.toContain("hmacSign(");
    for (const { file, text } of sources) {
      const comparisons = code(text).match(COMPARISON_WITH_A_MAC);
      expect(comparisons ?? [], file).toEqual([]);
    }
  });

  it("authenticates encrypted cookies with AES-GCM's own tag check (crypto.subtle.decrypt)", () => {
    const aes = code(sources.find(({ file }) => file === join("crypto", "aes-gcm.ts"))!.text);
    expect(aes).toMatch(/crypto\.subtle\.decrypt\(\s*\{\s*name:\s*"AES-GCM"/);
  });
});
