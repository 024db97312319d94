import { describe, expect, it } from "vitest";
import {
  decodeBase64Key,
  decodeBase64Url,
  decodeBase64UrlText,
  decodeBase64UrlTransient,
  encodeBase64Url,
  encodeTextBase64Url,
} from "../src/crypto/base64url.js";
import { randomBytes } from "../src/crypto/random.js";
import { sha256Base64Url } from "../src/crypto/sha256.js";
import { EncryptedCookieStore, SessionKeyError, SignedCookieStore } from "../src/index.js";
import { onPath } from "./support/crypto-paths.js";

type Loose = Record<string, unknown>;

const bytes = (...values: number[]) => new Uint8Array(values);

describe("base64url", () => {
  it("encodes without padding in the URL alphabet", () => {
    expect(encodeBase64Url(bytes())).toBe("");
    expect(encodeBase64Url(bytes(0xfb))).toBe("-w");
    expect(encodeBase64Url(bytes(0xfb, 0xff))).toBe("-_8");
    expect(encodeBase64Url(bytes(0xfb, 0xff, 0xbf))).toBe("-_-_");
  });

  it("round-trips every length up to 64 KiB of random bytes without blowing the stack", () => {
    for (const length of [0, 1, 2, 3, 4, 31, 32, 33, 1000, 65_536]) {
      const input = crypto.getRandomValues(new Uint8Array(length));
      expect(decodeBase64Url(encodeBase64Url(input))).toEqual(input);
    }
  });

  it("agrees with the platform's base64 on random input", () => {
    const input = crypto.getRandomValues(new Uint8Array(999));
    const viaPlatform = btoa(String.fromCharCode(...input))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    expect(encodeBase64Url(input)).toBe(viaPlatform);
  });

  it("rejects characters outside the alphabet, padding and impossible lengths", () => {
    for (const text of ["a", "ab=", "a+b/", "ab cd", "é", "abcde"]) {
      expect(decodeBase64Url(text)).toBeNull();
    }
  });

  it("rejects non-canonical encodings, so no two strings decode to the same bytes", () => {
    expect(decodeBase64Url("-w")).toEqual(bytes(0xfb));
    expect(decodeBase64Url("-x")).toBeNull();
    expect(decodeBase64Url("-_8")).toEqual(bytes(0xfb, 0xff));
    expect(decodeBase64Url("-_9")).toBeNull();
  });

  it("encodes and decodes text through UTF-8, past the size of its scratch buffers, and refuses invalid UTF-8", () => {
    for (const text of ["", "a", "ü€😀", "x".repeat(5000), "日本語".repeat(3000)]) {
      const encoded = encodeTextBase64Url(text);
      expect(encoded).toBe(encodeBase64Url(new TextEncoder().encode(text)));
      expect(decodeBase64UrlText(encoded)).toBe(text);
    }
    expect(decodeBase64UrlText(encodeBase64Url(bytes(0xff, 0xfe)))).toBeNull();
    expect(decodeBase64UrlText("-x")).toBeNull();
  });

  it("hands out decoded bytes as an independent copy, or as a view valid until the next decode", () => {
    const first = decodeBase64Url(encodeBase64Url(bytes(1, 2, 3)))!;
    const view = decodeBase64UrlTransient(encodeBase64Url(bytes(4, 5, 6)))!;
    expect(view).toEqual(bytes(4, 5, 6));
    decodeBase64Url(encodeBase64Url(bytes(7, 8, 9)));
    expect(first).toEqual(bytes(1, 2, 3));
    expect(view).toEqual(bytes(7, 8, 9));
  });

  it("refuses a character whose low byte is in the alphabet (no truncation to 8 bits)", () => {
    // U+0141 would read as "A" if cut to its low byte.
    expect(decodeBase64Url("\u0141AAA")).toBeNull();
    expect(decodeBase64UrlText("\u0141AAA")).toBeNull();
  });

  it("reads keys in base64 or base64url, padded or not, but not a mix", () => {
    expect(decodeBase64Key("+/8=")).toEqual(bytes(0xfb, 0xff));
    expect(decodeBase64Key("-_8")).toEqual(bytes(0xfb, 0xff));
    expect(decodeBase64Key("+_8")).toBeNull();
  });
});

describe("SHA-256 of session IDs", () => {
  it("agrees with Web Crypto's digest of the UTF-8 bytes, lone surrogates included", async () => {
    expect(await sha256Base64Url("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    for (const text of ["", "Ada", "ü€😀", "lone \ud800 surrogate", "x".repeat(1000)]) {
      const viaWeb = encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
      expect(await sha256Base64Url(text), JSON.stringify(text)).toBe(viaWeb);
    }
  });
});

describe("random IVs", () => {
  it("are never handed out twice, across many refills of their pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(encodeBase64Url(randomBytes(12)));
    expect(seen.size).toBe(5000);
  });

  it("are copies: a later draw does not change an IV already in use", () => {
    const iv = randomBytes(12);
    const before = encodeBase64Url(iv);
    for (let i = 0; i < 1000; i++) randomBytes(12);
    expect(encodeBase64Url(iv)).toBe(before);
  });

  it("differ in every encrypted cookie, on both crypto paths", async () => {
    const key = await EncryptedCookieStore.generateKey();
    const ivs = new Set<string>();
    for (const path of ["native", "web"] as const) {
      const store = onPath(path, () => new EncryptedCookieStore<Loose>([key]));
      for (let i = 0; i < 700; i++) ivs.add(encodeBase64Url(decodeBase64Url(await store.save(null, { i }, 60_000))!.subarray(6, 18)));
    }
    expect(ivs.size).toBe(1400);
  });
});

describe("keys", () => {
  it("exports a generated signing key and imports it back to verify the same cookies", async () => {
    const key = await SignedCookieStore.generateKey();
    const exported = await SignedCookieStore.exportKey(key);
    expect(exported).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const writer = new SignedCookieStore<Loose>([key]);
    const reader = new SignedCookieStore<Loose>(await SignedCookieStore.generateKeysFromBase64([exported]));
    const cookie = await writer.save(null, { a: 1 }, 60_000);
    expect(await reader.load(cookie)).toEqual({ a: 1 });
  });

  it("imports the reference documentation's standard-base64 encryption key", async () => {
    const keys = await EncryptedCookieStore.generateKeysFromBase64(["cnNwJHcQHlHHB7+/zRYOJP/m0JEXxQpoGskCs8Eg+XI="]);
    const store = new EncryptedCookieStore<Loose>(keys);
    expect(await store.load(await store.save(null, { a: 1 }, 60_000))).toEqual({ a: 1 });
  });

  it("takes keys split from an environment variable as a plain string array, and refuses an empty one with SessionKeyError", async () => {
    const listed = `${await SignedCookieStore.exportKey(await SignedCookieStore.generateKey())},${await SignedCookieStore.exportKey(await SignedCookieStore.generateKey())}`;
    const keys = await SignedCookieStore.generateKeysFromBase64(listed.split(","));
    expect(keys).toHaveLength(2);
    const none: string[] = "".split(",").filter(Boolean);
    await expect(SignedCookieStore.generateKeysFromBase64(none)).rejects.toThrow(SessionKeyError);
    await expect(EncryptedCookieStore.generateKeysFromBase64(none)).rejects.toThrow(SessionKeyError);
    await expect(SignedCookieStore.generateKeysFromSecrets(none)).rejects.toThrow(SessionKeyError);
  });

  it("refuses signing keys shorter than 256 bits and encryption keys that are not 256 bits", async () => {
    const short = encodeBase64Url(new Uint8Array(16));
    await expect(SignedCookieStore.generateKeysFromBase64([short])).rejects.toThrow(/at least 32/);
    await expect(EncryptedCookieStore.generateKeysFromBase64([short])).rejects.toThrow(SessionKeyError);
    await expect(EncryptedCookieStore.generateKeysFromBase64([encodeBase64Url(new Uint8Array(64))])).rejects.toThrow(/exactly 32/);
    await expect(SignedCookieStore.generateKeysFromBase64(["not base64!"])).rejects.toThrow(/not valid base64/);
  });

  it("derives keys from secrets with a KDF, refusing secrets under 32 characters", async () => {
    await expect(SignedCookieStore.generateKeysFromSecrets(["secret"])).rejects.toThrow(/at least 32/);
    const secret = "correct horse battery staple, long enough";
    const [a] = await SignedCookieStore.generateKeysFromSecrets([secret]);
    const [b] = await SignedCookieStore.generateKeysFromSecrets([secret]);
    const cookie = await new SignedCookieStore<Loose>([a]).save(null, { a: 1 }, 60_000);
    expect(await new SignedCookieStore<Loose>([b]).load(cookie)).toEqual({ a: 1 });
    // The raw secret is not the HMAC key: a cookie signed with it does not verify.
    const raw = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const forged = await new SignedCookieStore<Loose>([raw]).save(null, { a: 1 }, 60_000);
    expect(await new SignedCookieStore<Loose>([a]).load(forged)).toBeNull();
  });

  it("refuses keys made for another algorithm, with a message naming the store", async () => {
    const aes = await EncryptedCookieStore.generateKey();
    expect(() => new SignedCookieStore<Loose>([aes])).toThrow(/SignedCookieStore key #0 is an AES-GCM key, not an HMAC key/);
    expect(() => new EncryptedCookieStore<Loose>([] as never)).toThrow(SessionKeyError);
  });
});

describe("key rotation", () => {
  for (const Store of [SignedCookieStore, EncryptedCookieStore]) {
    it(`${Store.name}: the old key verifies, the new key signs, dropping the old key logs those sessions out`, async () => {
      const oldKey = await Store.generateKey();
      const newKey = await Store.generateKey();
      const before = await new Store<Loose>([oldKey]).save(null, { who: "old" }, 60_000);
      const rotated = new Store<Loose>([newKey, oldKey]);
      expect(await rotated.load(before)).toEqual({ who: "old" });
      const after = await rotated.save(null, { who: "new" }, 60_000);
      expect(await new Store<Loose>([newKey]).load(after)).toEqual({ who: "new" });
      expect(await new Store<Loose>([newKey]).load(before)).toBeNull();
    });
  }
});

describe("no cookie value is trusted without its check", () => {
  for (const Store of [SignedCookieStore, EncryptedCookieStore]) {
    it(`${Store.name}: rejects a cookie it loaded a moment ago once it has expired`, async () => {
      const store = new Store<Loose>([await Store.generateKey()]);
      const now = Date.now();
      const cookie = await store.saveRecord(null, { data: { a: 1 }, createdAt: now, expiresAt: now + 150 });
      expect(await store.load(cookie)).toEqual({ a: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await store.load(cookie)).toBeNull();
    });

    it(`${Store.name}: accepts the exact value it made, not a near copy`, async () => {
      const store = new Store<Loose>([await Store.generateKey()]);
      const cookie = await store.save(null, { a: 1 }, 60_000);
      expect(await store.load(cookie)).toEqual({ a: 1 });
      for (const altered of [cookie + "A", cookie.slice(0, -1), cookie.slice(0, 10) + (cookie[10] === "A" ? "B" : "A") + cookie.slice(11)]) {
        expect(await store.load(altered)).toBeNull();
      }
    });

    it(`${Store.name}: a new store holding other keys refuses a cookie another store just made and loaded`, async () => {
      const key = await Store.generateKey();
      const maker = new Store<Loose>([key]);
      const cookie = await maker.save(null, { a: 1 }, 60_000);
      expect(await maker.load(cookie)).toEqual({ a: 1 });
      expect(await new Store<Loose>([await Store.generateKey()]).load(cookie)).toBeNull();
      // The rotation that drops the key: a new list without it refuses the cookie at once.
      expect(await new Store<Loose>([await Store.generateKey(), await Store.generateKey()]).load(cookie)).toBeNull();
    });
  }
});
