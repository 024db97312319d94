/**
 * The signed and encrypted cookie format: keys checked wherever they
 * enter, values bound to their cookie's name, a key ID in every value so
 * that a load runs exactly one verify or decrypt, and no value trusted
 * without that check. Each case runs on both crypto paths (node:crypto
 * and Web Crypto).
 */
import { compose } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeBase64Key, decodeBase64Url } from "../src/crypto/base64url.js";
import { EncryptedCookieStore, SessionKeyError, SignedCookieStore, session, type SessionRecord } from "../src/index.js";
import { CookieClient } from "./support/browser-like-client.js";
import { CRYPTO_PATHS, countCryptoOperations, nodeCrypto, onPath, type CryptoPath } from "./support/crypto-paths.js";
import { serve, type Served } from "./support/serve.js";

type Data = Record<string, unknown>;
type CookieStore = SignedCookieStore<Data> | EncryptedCookieStore<Data>;
type CookieStoreClass = typeof SignedCookieStore | typeof EncryptedCookieStore;

const STORES: { name: string; Store: CookieStoreClass }[] = [
  { name: "SignedCookieStore", Store: SignedCookieStore },
  { name: "EncryptedCookieStore", Store: EncryptedCookieStore },
];

const liveRecord = (data: Data = { user: "ada" }): SessionRecord<Data> => {
  const now = Date.now();
  return { data, createdAt: now, expiresAt: now + 60_000 };
};

const make = (path: CryptoPath, Store: CookieStoreClass, keys: CryptoKey[]): CookieStore =>
  onPath(path, () => new Store<Data>(keys as [CryptoKey, ...CryptoKey[]]));

/** The store's first load or save settles its keys: where key IDs take Web Crypto, a bad list fails there. */
async function settle(build: () => CookieStore): Promise<void> {
  const store = build();
  await store.saveRecord(null, liveRecord());
}

const raw = (bytes: number, fill = 7) => new Uint8Array(bytes).fill(fill);

describe("keys handed straight to a store's constructor are checked like imported ones", () => {
  const hmac = (hash: string, bytes: number) => crypto.subtle.importKey("raw", raw(bytes), { name: "HMAC", hash }, false, ["sign", "verify"]);
  const aes = (bytes: number) => crypto.subtle.importKey("raw", raw(bytes), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);

  it("refuses an 8-bit HMAC key, which one cookie lets anyone brute-force offline", async () => {
    const tiny = await crypto.subtle.importKey("raw", raw(1), { name: "HMAC", hash: "SHA-256", length: 8 }, false, ["sign", "verify"]);
    expect(() => new SignedCookieStore<Data>([tiny])).toThrow(SessionKeyError);
    expect(() => new SignedCookieStore<Data>([tiny])).toThrow(/8 bits long; HMAC-SHA-256 keys need at least 256/);
  });

  it("refuses HMAC keys under 256 bits and HMAC keys of another hash", async () => {
    const [short, sha1, sha512] = [await hmac("SHA-256", 31), await hmac("SHA-1", 32), await hmac("SHA-512", 64)];
    expect(() => new SignedCookieStore<Data>([short])).toThrow(/248 bits long/);
    expect(() => new SignedCookieStore<Data>([sha1])).toThrow(/uses SHA-1; only HMAC with SHA-256/);
    expect(() => new SignedCookieStore<Data>([sha512])).toThrow(SessionKeyError);
  });

  it("accepts HMAC-SHA-256 keys of 256 bits and more, extractable or not", async () => {
    for (const key of [await hmac("SHA-256", 32), await hmac("SHA-256", 64)]) {
      const store = new SignedCookieStore<Data>([key]);
      expect((await store.loadRecord(await store.saveRecord(null, liveRecord())))?.data).toEqual({ user: "ada" });
    }
  });

  it("refuses AES-GCM keys of 128 and 192 bits, and AES keys of another mode", async () => {
    const [aes128, aes192] = [await aes(16), await aes(24)];
    expect(() => new EncryptedCookieStore<Data>([aes128])).toThrow(/128 bits long; AES-GCM keys must be exactly 256/);
    expect(() => new EncryptedCookieStore<Data>([aes192])).toThrow(SessionKeyError);
    const cbc = await crypto.subtle.importKey("raw", raw(32), { name: "AES-CBC" }, false, ["encrypt", "decrypt"]);
    expect(() => new EncryptedCookieStore<Data>([cbc])).toThrow(/is an AES-CBC key, not an AES-GCM key/);
  });

  it("refuses a key that may not do both halves of the job", async () => {
    const signOnly = await crypto.subtle.importKey("raw", raw(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    expect(() => new SignedCookieStore<Data>([signOnly])).toThrow(/may not verify/);
    const encryptOnly = await crypto.subtle.importKey("raw", raw(32), { name: "AES-GCM" }, false, ["encrypt"]);
    expect(() => new EncryptedCookieStore<Data>([encryptOnly])).toThrow(/may not decrypt/);
  });

  it("names the store, the key's place in the list and the helpers to use", async () => {
    const good = await SignedCookieStore.generateKey();
    const sha1 = await hmac("SHA-1", 32);
    expect(() => new SignedCookieStore<Data>([good, sha1])).toThrow(
      /^SignedCookieStore key #1 uses SHA-1; only HMAC with SHA-256 is accepted\. Create keys with SignedCookieStore\.generateKey\(\)/,
    );
  });

  for (const { name, Store } of STORES) {
    it(`${name}: refuses one key listed twice, as the same object or as the same bytes`, async () => {
      const key = await Store.generateKey();
      expect(() => new Store<Data>([key, key])).toThrow(/key #1 is the same key as #0/);
      const exported = await Store.exportKey(key);
      await expect(Store.generateKeysFromBase64([exported, exported])).rejects.toThrow(/Key #1 is the same as key #0/);
    });

    for (const path of CRYPTO_PATHS) {
      it(`${name} (${path}): refuses two key objects with the same bytes, imported outside the package (their key IDs collide)`, async () => {
        const algorithm = Store === SignedCookieStore ? { name: "HMAC", hash: "SHA-256" } : { name: "AES-GCM" };
        const usages: KeyUsage[] = Store === SignedCookieStore ? ["sign", "verify"] : ["encrypt", "decrypt"];
        const twins = await Promise.all([1, 2].map(() => crypto.subtle.importKey("raw", raw(32, 9), algorithm, false, usages)));
        await expect(settle(() => make(path, Store, twins))).rejects.toThrow(/key #1 has the same key ID as key #0/);
      });
    }
  }
});

describe("a value is bound to its cookie's name", () => {
  for (const { name, Store } of STORES) {
    for (const path of CRYPTO_PATHS) {
      it(`${name} (${path}): a value made for cookie "session" is refused under cookie "admin", by any store with the key`, async () => {
        const key = await Store.generateKey();
        const writer = make(path, Store, [key]);
        const reader = make(path, Store, [key]);
        const value = await writer.saveRecord(null, liveRecord({ role: "user" }), undefined, { name: "session" });
        expect(await reader.loadRecord(value, undefined, { name: "admin" })).toBeNull();
        expect((await reader.loadRecord(value, undefined, { name: "session" }))?.data).toEqual({ role: "user" });
      });

      it(`${name} (${path}): a store called without a scope works for cookie "session"`, async () => {
        const key = await Store.generateKey();
        const store = make(path, Store, [key]);
        const unscoped = await store.save(null, { a: 1 }, 60_000);
        expect((await store.loadRecord(unscoped, undefined, { name: "session" }))?.data).toEqual({ a: 1 });
        const scoped = await store.saveRecord(null, liveRecord({ b: 2 }), undefined, { name: "session" });
        expect(await store.load(scoped)).toEqual({ b: 2 });
      });
    }

    it(`${name}: no two distinct cookie names accept each other's values, whatever they contain`, async () => {
      const store = new Store<Data>([await Store.generateKey()]);
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), async (first, second) => {
          fc.pre(first !== second);
          const value = await store.saveRecord(null, liveRecord(), undefined, { name: first });
          expect(await store.loadRecord(value, undefined, { name: second })).toBeNull();
          expect(await store.loadRecord(value, undefined, { name: first })).not.toBeNull();
        }),
        { numRuns: 300 },
      );
    });
  }

  describe("through HTTP", () => {
    const running: Served[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((served) => served.close()));
    });

    for (const { name, Store } of STORES) {
      it(`${name}: a user's "session" cookie copied into the "admin" cookie of an app with the same key gets no admin session`, async () => {
        const key = await Store.generateKey();
        const store = new Store<Data>([key]);
        const served = await serve(
          compose(cookie(), session({ store: store as never }), session({ name: "admin", store: store as never } as never), (ctx) => {
            const admin = (ctx as unknown as { sessions: Record<string, { data: Data; isFresh: boolean }> }).sessions["admin"]!;
            if (ctx.url.pathname === "/login") {
              ctx.session.data = { role: "user" } as never;
              return new Response("ok");
            }
            return Response.json({ admin: admin.data, isFresh: admin.isFresh });
          }),
        );
        running.push(served);
        const client = new CookieClient(served.url);
        await client.get("/login");
        const userValue = client.jar.get("session")!;
        expect(userValue).toBeTruthy();
        const answer = await client.get("/admin", { headers: { cookie: `admin=${userValue}` } });
        expect(JSON.parse(answer.body)).toEqual({ admin: {}, isFresh: true });
      });
    }
  });
});

describe("key IDs: one verify or decrypt per load, none for an unknown key", () => {
  for (const { name, Store } of STORES) {
    for (const path of CRYPTO_PATHS) {
      it(`${name} (${path}): a cookie made with the oldest of five keys costs one crypto operation to load`, async () => {
        const keys = await Promise.all([1, 2, 3, 4, 5].map(() => Store.generateKey()));
        const oldest = make(path, Store, [keys[4]!]);
        const value = await oldest.saveRecord(null, liveRecord());
        const rotated = make(path, Store, keys);
        await rotated.saveRecord(null, liveRecord()); // settles the key IDs before counting
        let loaded: unknown;
        const count = await countCryptoOperations(async () => (loaded = await rotated.loadRecord(value)));
        expect(loaded).not.toBeNull();
        expect(count.total).toBe(1);
        expect(count[path]).toBe(1);
      });

      it(`${name} (${path}): a cookie naming a key the list does not hold is refused with no crypto at all`, async () => {
        const stranger = make(path, Store, [await Store.generateKey()]);
        const value = await stranger.saveRecord(null, liveRecord());
        const store = make(path, Store, await Promise.all([1, 2, 3].map(() => Store.generateKey())));
        await store.saveRecord(null, liveRecord());
        let loaded: unknown = "not loaded";
        const count = await countCryptoOperations(async () => (loaded = await store.loadRecord(value)));
        expect(loaded).toBeNull();
        expect(count.total).toBe(0);
      });

      it(`${name} (${path}): verifies every load, even of a value it made or loaded a moment ago`, async () => {
        const store = make(path, Store, [await Store.generateKey()]);
        const value = await store.saveRecord(null, liveRecord());
        const count = await countCryptoOperations(async () => {
          for (let i = 0; i < 3; i++) expect(await store.loadRecord(value)).not.toBeNull();
        });
        expect(count.total).toBe(3);
      });
    }

    it(`${name}: a key has the same ID extractable or not, on either path, in every store that holds it`, async () => {
      const key = await Store.generateKey();
      const reimported = (await Store.generateKeysFromBase64([await Store.exportKey(key)]))[0];
      const ids = new Set<string>();
      for (const path of CRYPTO_PATHS) {
        for (const each of [key, reimported]) {
          const value = await make(path, Store, [each]).saveRecord(null, liveRecord());
          ids.add(keyIdOf(Store, value));
        }
      }
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^[A-Za-z0-9_-]{8}$/);
    });
  }
});

function keyIdOf(Store: CookieStoreClass, value: string): string {
  return Store === SignedCookieStore ? value.slice(0, value.indexOf(".")) : value.slice(0, 8);
}

describe("decodeBase64Key", () => {
  it("reads a key followed by a long run of '=' in linear time (a backtracking regex took minutes)", { timeout: 10_000 }, () => {
    // 200,000 '=' then a character: an end-anchored /=+$/ retries from every '=' (about 2·10¹⁰ steps).
    expect(decodeBase64Key(`${"=".repeat(200_000)}x`)).toBeNull();
    expect(decodeBase64Key(`+/8${"=".repeat(200_000)}`)).toEqual(new Uint8Array([0xfb, 0xff]));
  });
});

describe("the documented format, rebuilt from SECURITY.md with plain Web Crypto", () => {
  const purpose = (kind: "signed" | "encrypted", cookieName: string) => {
    const label = new TextEncoder().encode(`hattip-session/v2/${kind}`);
    const nameBytes = new TextEncoder().encode(cookieName);
    const bytes = new Uint8Array(label.length + 5 + nameBytes.length);
    bytes.set(label);
    new DataView(bytes.buffer).setUint32(label.length + 1, nameBytes.length);
    bytes.set(nameBytes, label.length + 5);
    return bytes;
  };
  const keyIdLabel = new TextEncoder().encode("hattip-session/v2/key-id");
  const b64url = (bytes: Uint8Array) =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");

  for (const path of CRYPTO_PATHS) {
    it(`SignedCookieStore (${path}): writes key ID, payload and HMAC exactly as documented`, async () => {
      const rawKey = crypto.getRandomValues(new Uint8Array(32));
      const key = await crypto.subtle.importKey("raw", rawKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
      const record = liveRecord({ user: "ada", n: 1 });
      const value = await make(path, SignedCookieStore, [key]).saveRecord(null, record, undefined, { name: "__Host-s" });

      const keyId = b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, keyIdLabel)).slice(0, 6));
      const payload = b64url(new TextEncoder().encode(`3.${record.createdAt.toString(36)}.${record.expiresAt.toString(36)}.0.{"user":"ada","n":1}`));
      const signedPart = new TextEncoder().encode(`${keyId}.${payload}`);
      const message = new Uint8Array([...purpose("signed", "__Host-s"), ...signedPart]);
      const signature = b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
      expect(value).toBe(`${keyId}.${payload}.${signature}`);
    });

    it(`EncryptedCookieStore (${path}): writes key ID, IV, ciphertext and tag as documented, the name as additional data`, async () => {
      const key = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), { name: "AES-GCM" }, false, [
        "encrypt",
        "decrypt",
      ]);
      const record = liveRecord({ user: "ada" });
      const value = await make(path, EncryptedCookieStore, [key]).saveRecord(null, record, undefined, { name: "prefs" });
      const sealed = decodeBase64Url(value)!;

      const fingerprint = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12).fill(0xff), additionalData: keyIdLabel }, key, new Uint8Array(0)),
      );
      expect(sealed.subarray(0, 6)).toEqual(fingerprint.subarray(0, 6));
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: sealed.subarray(6, 18), additionalData: purpose("encrypted", "prefs") },
        key,
        sealed.subarray(18),
      );
      expect(new TextDecoder().decode(plaintext)).toBe(`3.${record.createdAt.toString(36)}.${record.expiresAt.toString(36)}.0.{"user":"ada"}`);
    });
  }
});

describe("constant-time verification on the native path", () => {
  it("compares every signed value's signature with timingSafeEqual, right or wrong, and never accepts a near miss", async () => {
    const store = new SignedCookieStore<Data>([await SignedCookieStore.generateKey()]);
    const value = await store.saveRecord(null, liveRecord());
    const last = value.at(-1)!;
    const nearMisses = [
      value.slice(0, -1) + (last === "A" ? "B" : "A"),
      value.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 0x100), // same low byte
    ];
    const spy = vi.spyOn(nodeCrypto, "timingSafeEqual");
    try {
      expect(await store.loadRecord(value)).not.toBeNull();
      for (const nearMiss of nearMisses) expect(await store.loadRecord(nearMiss)).toBeNull();
      // All three reach the comparison: the signature is compared as presented, 16 bits per character.
      expect(spy.mock.calls.length).toBe(3);
      for (const [expected, presented] of spy.mock.calls) expect((expected as Uint16Array).length).toBe((presented as Uint16Array).length);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("the two crypto paths make and accept the same values", () => {
  for (const { name, Store } of STORES) {
    it(`${name}: a value made on either path loads on the other`, async () => {
      const key = await Store.generateKey();
      const native = make("native", Store, [key]);
      const web = make("web", Store, [key]);
      const fromNative = await native.saveRecord(null, liveRecord({ from: "native" }), undefined, { name: "s" });
      const fromWeb = await web.saveRecord(null, liveRecord({ from: "web" }), undefined, { name: "s" });
      expect((await web.loadRecord(fromNative, undefined, { name: "s" }))?.data).toEqual({ from: "native" });
      expect((await native.loadRecord(fromWeb, undefined, { name: "s" }))?.data).toEqual({ from: "web" });
    });

    it(`${name}: both paths run where they should (native in Node, Web Crypto without node:crypto)`, async () => {
      const key = await Store.generateKey();
      for (const path of CRYPTO_PATHS) {
        const store = make(path, Store, [key]);
        const value = await store.saveRecord(null, liveRecord());
        const count = await countCryptoOperations(() => store.loadRecord(value));
        expect(count).toEqual({ web: path === "web" ? 1 : 0, native: path === "native" ? 1 : 0, total: 1 });
      }
    });
  }

  it("SignedCookieStore: the same record and key give the same value, byte for byte, on both paths", async () => {
    const key = await SignedCookieStore.generateKey();
    const record = liveRecord({ same: true });
    const [native, web] = await Promise.all(
      CRYPTO_PATHS.map((path) => make(path, SignedCookieStore, [key]).saveRecord(null, record, undefined, { name: "s" })),
    );
    expect(native).toBe(web);
  });

  it("keys of the package's own making run natively; a foreign non-extractable key falls back to Web Crypto", async () => {
    const foreign = await crypto.subtle.importKey("raw", raw(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const own = (await SignedCookieStore.generateKeysFromBase64([btoa(String.fromCharCode(...raw(32, 3)))]))[0];
    const derived = (await SignedCookieStore.generateKeysFromSecrets(["a secret of more than thirty-two characters"]))[0];
    for (const [key, expected] of [
      [foreign, "web"],
      [own, "native"],
      [derived, "native"],
      [await SignedCookieStore.generateKey(), "native"],
    ] as const) {
      const store = new SignedCookieStore<Data>([key]);
      const value = await store.saveRecord(null, liveRecord());
      const count = await countCryptoOperations(() => store.loadRecord(value));
      expect(count[expected]).toBe(1);
    }
  });
});
