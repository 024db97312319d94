/**
 * The signed and encrypted cookie format on every runtime, on both crypto
 * paths: node:crypto where the runtime has it (Node, Bun, Deno) and Web
 * Crypto (workerd, edge-runtime, and the others with
 * `process.getBuiltinModule` hidden while a store is built, as a runtime
 * without it). Values written on one runtime and path load on every other:
 * the signed value of a fixed record and key is the same string
 * everywhere, and encrypted values written by Node on each path open
 * everywhere. Weak keys, a value moved to another cookie name, and a value
 * naming an unknown key are refused on every runtime too.
 */
import { EncryptedCookieStore, SessionKeyError, SignedCookieStore, type SessionRecord } from "hattip-session";
import { assert, assertEqual, type TestList } from "./harness.js";

type Data = Record<string, unknown>;
type CryptoPath = "native" | "web";
type ProcessWithBuiltins = { getBuiltinModule?: (id: string) => unknown };

// Bench- and test-only keys: fixed, so every runtime computes the same values.
const HMAC_KEY = "c2Vzc2lvbi1ydW50aW1lLXN1aXRlLWhtYWMta2V5LTA";
const AES_KEY = "ZW5jcnlwdGVkLXJ1bnRpbWUtc3VpdGUtYWVzLWtleS0";
const RECORD: SessionRecord<Data> = {
  data: { user: "ada", roles: ["editor"], note: "héllo ☃" },
  createdAt: 1767225600000,
  expiresAt: 4102444800000,
};

/**
 * Written by Node 20 with the keys and record above (signed values are the
 * same on every path and runtime). The encrypted values and
 * `signedSessionV2` hold the record text of version 2, which every runtime
 * must still read.
 */
const GOLDEN = {
  signedSession:
    "ytJPKkXo.My5tanVvaHMwMC4xZ2NteHBtbzAuMC57InVzZXIiOiJhZGEiLCJyb2xlcyI6WyJlZGl0b3IiXSwibm90ZSI6ImjDqWxsbyDimIMifQ.4C_vLvy6-Aqt9i8j_ynHeVDW-Wfk7pHleJ8gxxwjipo",
  signedHostS:
    "ytJPKkXo.My5tanVvaHMwMC4xZ2NteHBtbzAuMC57InVzZXIiOiJhZGEiLCJyb2xlcyI6WyJlZGl0b3IiXSwibm90ZSI6ImjDqWxsbyDimIMifQ.bRbSUbRjPgrIaKmS_UZyLsBAKQ-NQyHPl9ax5-47Gcc",
  signedSessionV2:
    "ytJPKkXo.MnwxNzY3MjI1NjAwMDAwfDQxMDI0NDQ4MDAwMDB8MHx7InVzZXIiOiJhZGEiLCJyb2xlcyI6WyJlZGl0b3IiXSwibm90ZSI6ImjDqWxsbyDimIMifQ.oqGt6gsuWfiJA117igT7qY8YjJpwzmkeEuyZZNLRGfs",
  encryptedByNative:
    "b8cM1qul3VUoeijlE4NQ3KDouYiDN_cy6VWmIvZYl2JJI8qrwgmGRyRyb_sZ9IZuAxKXfYW1qbBH9bkZtechlVa26u5pszaMvTARorsbMLAa6Z_WjliWf0eQ-qgyyPHlsOzbkVnVLLU4zzRNjJzQCk8oxothtBM",
  encryptedByWeb:
    "b8cM1qulolZAfFp-kIGGXn9S_5scEH66ZgJXZ_n9_8u6-ap3Iks6UdKx2B5am6lTVOO0TVLO73HlqXu7XbJX0ymsb0KUYKyM-M8OjLhcr6-9oednnIbtxkqRKkCPwddSotWwaJvwWJWCdbbJzd8VwqUKIHUNirA",
};

function processLike(): ProcessWithBuiltins | undefined {
  return (globalThis as { process?: ProcessWithBuiltins }).process;
}

/** `node:crypto` as a store would find it, or `undefined` on a runtime without it. */
function nodeCrypto(): Record<string, unknown> | undefined {
  const getBuiltinModule = processLike()?.getBuiltinModule;
  if (typeof getBuiltinModule !== "function") return undefined;
  try {
    const module = getBuiltinModule("node:crypto") as Record<string, unknown> | undefined;
    return typeof module?.["createHmac"] === "function" ? module : undefined;
  } catch {
    return undefined;
  }
}

/** The paths this runtime offers: Web Crypto always, native where node:crypto is there. */
export function cryptoPathsHere(): CryptoPath[] {
  return nodeCrypto() ? ["native", "web"] : ["web"];
}

/** Builds as on a runtime without node:crypto when `path` is "web". */
function onPath<T>(path: CryptoPath, build: () => T): T {
  const target = processLike();
  if (path === "native" || !target) return build();
  const saved = target.getBuiltinModule;
  target.getBuiltinModule = undefined;
  try {
    return build();
  } finally {
    target.getBuiltinModule = saved;
  }
}

async function storesOn(path: CryptoPath) {
  const hmac = await SignedCookieStore.generateKeysFromBase64([HMAC_KEY]);
  const aes = await EncryptedCookieStore.generateKeysFromBase64([AES_KEY]);
  return onPath(path, () => ({ signed: new SignedCookieStore<Data>(hmac), encrypted: new EncryptedCookieStore<Data>(aes) }));
}

/**
 * Counts verifications and decryptions on both paths while `work` runs, by
 * wrapping (not replacing) the functions that do them. `null` where the
 * runtime will not let them be wrapped.
 */
async function countCrypto(work: () => Promise<unknown>): Promise<{ web: number; native: number } | null> {
  const counts = { web: 0, native: 0 };
  const wrapped: { target: Record<string, unknown>; name: string; original: unknown }[] = [];
  const wrap = (target: Record<string, unknown>, name: string, path: CryptoPath) => {
    const original = target[name] as (...args: unknown[]) => unknown;
    const counting = function (this: unknown, ...args: unknown[]) {
      counts[path]++;
      return original.apply(this, args);
    };
    try {
      target[name] = counting;
    } catch {
      return false;
    }
    wrapped.push({ target, name, original });
    return target[name] === counting;
  };
  try {
    const subtle = crypto.subtle as unknown as Record<string, unknown>;
    const native = nodeCrypto();
    const all = [
      wrap(subtle, "verify", "web"),
      wrap(subtle, "decrypt", "web"),
      ...(native ? [wrap(native, "createHmac", "native"), wrap(native, "createDecipheriv", "native")] : []),
    ];
    if (!all.every(Boolean)) return null;
    await work();
    return counts;
  } finally {
    for (const { target, name, original } of wrapped.reverse()) target[name] = original;
  }
}

function recordOf(loaded: SessionRecord<Data> | null, what: string): SessionRecord<Data> {
  assert(loaded !== null, `${what}: expected a session, got none`);
  return loaded;
}

export function cryptoPaths(tests: TestList): void {
  const paths = cryptoPathsHere();
  tests.test(`crypto paths: this runtime runs ${paths.join(" and ")}`, () => {
    // Node 20.16+, Bun and Deno expose node:crypto without an import; workerd and edge-runtime do not.
    assert(paths.includes("web"), "Web Crypto is everywhere");
  });

  for (const path of paths) {
    tests.test(`crypto paths (${path}): the signed value of a fixed key and record is the same string on every runtime`, async () => {
      const { signed } = await storesOn(path);
      assertEqual(await signed.saveRecord(null, RECORD), GOLDEN.signedSession, "value for cookie session");
      assertEqual(await signed.saveRecord(null, RECORD, undefined, { name: "__Host-s" }), GOLDEN.signedHostS, "value for cookie __Host-s");
      assertEqual(recordOf(await signed.loadRecord(GOLDEN.signedSession), "golden value").data, RECORD.data, "data");
      const older = recordOf(await signed.loadRecord(GOLDEN.signedSessionV2), "golden value of record version 2");
      assertEqual([older.data, older.createdAt, older.expiresAt], [RECORD.data, RECORD.createdAt, RECORD.expiresAt], "version 2 record");
    });

    tests.test(`crypto paths (${path}): encrypted values written by Node on either path open here`, async () => {
      const { encrypted } = await storesOn(path);
      for (const [origin, value] of [
        ["native", GOLDEN.encryptedByNative],
        ["web", GOLDEN.encryptedByWeb],
      ] as const) {
        const loaded = recordOf(await encrypted.loadRecord(value), `value written on the ${origin} path`);
        assertEqual(loaded.data, RECORD.data, `data of the value written on the ${origin} path`);
        assertEqual([loaded.createdAt, loaded.expiresAt], [RECORD.createdAt, RECORD.expiresAt], "timestamps");
      }
    });

    tests.test(`crypto paths (${path}): an encrypted value written here opens with plain Web Crypto, as SECURITY.md documents it`, async () => {
      const { encrypted } = await storesOn(path);
      const value = await encrypted.saveRecord(null, RECORD, undefined, { name: "s" });
      const sealed = Uint8Array.from(atob(value.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
      const key = await crypto.subtle.importKey(
        "raw",
        Uint8Array.from(atob(`${AES_KEY}=`), (c) => c.charCodeAt(0)),
        "AES-GCM",
        false,
        ["decrypt"],
      );
      const label = new TextEncoder().encode("hattip-session/v2/encrypted");
      const name = new TextEncoder().encode("s");
      const purpose = new Uint8Array([...label, 0, 0, 0, 0, name.length, ...name]);
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: sealed.subarray(6, 18), additionalData: purpose },
        key,
        sealed.subarray(18),
      );
      assertEqual(
        new TextDecoder().decode(plaintext),
        `3.${RECORD.createdAt.toString(36)}.${RECORD.expiresAt.toString(36)}.0.${JSON.stringify(RECORD.data)}`,
        "plaintext",
      );
    });

    tests.test(`crypto paths (${path}): a value made for cookie "session" is refused under cookie "admin"`, async () => {
      const { signed, encrypted } = await storesOn(path);
      for (const store of [signed, encrypted]) {
        const value = await store.saveRecord(null, RECORD, undefined, { name: "session" });
        assertEqual(await store.loadRecord(value, undefined, { name: "admin" }), null, `${store.constructor.name} under "admin"`);
        recordOf(await store.loadRecord(value, undefined, { name: "session" }), `${store.constructor.name} under "session"`);
      }
    });

    tests.test(`crypto paths (${path}): one crypto operation for a value of the oldest key, none for an unknown key`, async () => {
      for (const Store of [SignedCookieStore, EncryptedCookieStore] as const) {
        const keys = await Promise.all([1, 2, 3, 4].map(() => Store.generateKey()));
        const oldest = onPath(path, () => new Store<Data>([keys[3]!]));
        const stranger = onPath(path, () => new Store<Data>([keys[0]!]));
        const rotated = onPath(path, () => new Store<Data>(keys.slice(1) as [CryptoKey, ...CryptoKey[]]));
        const known = await oldest.saveRecord(null, RECORD);
        const unknown = await stranger.saveRecord(null, RECORD);
        await rotated.saveRecord(null, RECORD); // settles the key IDs before counting
        let loaded: unknown;
        const one = await countCrypto(async () => (loaded = await rotated.loadRecord(known)));
        assert(one !== null, "this runtime lets the crypto functions be wrapped for counting");
        assert(loaded !== null, `${Store.name}: the oldest key's value loads`);
        assertEqual(one, { web: path === "web" ? 1 : 0, native: path === "native" ? 1 : 0 }, `${Store.name}: operations for the oldest key's value`);
        const none = await countCrypto(async () => (loaded = await rotated.loadRecord(unknown)));
        assertEqual(loaded, null, `${Store.name}: a value of a key not in the list`);
        assertEqual(none, { web: 0, native: 0 }, `${Store.name}: operations for an unknown key`);
      }
    });
  }

  if (paths.length === 2) {
    tests.test("crypto paths: what one path writes, the other reads, and signed values are identical", async () => {
      const native = await storesOn("native");
      const web = await storesOn("web");
      const scope = { name: "s" };
      assertEqual(
        await native.signed.saveRecord(null, RECORD, undefined, scope),
        await web.signed.saveRecord(null, RECORD, undefined, scope),
        "signed values",
      );
      for (const [from, to] of [
        [native, web],
        [web, native],
      ] as const) {
        for (const kind of ["signed", "encrypted"] as const) {
          const value = await from[kind].saveRecord(null, RECORD, undefined, scope);
          assertEqual(recordOf(await to[kind].loadRecord(value, undefined, scope), kind).data, RECORD.data, `${kind} across paths`);
        }
      }
    });
  }

  tests.test("crypto paths: weak or foreign keys handed to a store are refused with SessionKeyError", async () => {
    const raw = (bytes: number) => new Uint8Array(bytes).fill(7);
    const refusals: [string, () => unknown][] = [
      [
        "8-bit HMAC",
        async () =>
          new SignedCookieStore([
            await crypto.subtle.importKey("raw", raw(1), { name: "HMAC", hash: "SHA-256", length: 8 }, false, ["sign", "verify"]),
          ]),
      ],
      [
        "HMAC-SHA-1",
        async () =>
          new SignedCookieStore([await crypto.subtle.importKey("raw", raw(32), { name: "HMAC", hash: "SHA-1" }, false, ["sign", "verify"])]),
      ],
      [
        "AES-128-GCM",
        async () => new EncryptedCookieStore([await crypto.subtle.importKey("raw", raw(16), "AES-GCM", false, ["encrypt", "decrypt"])]),
      ],
      ["a key padded with 200,000 '='", () => SignedCookieStore.generateKeysFromBase64([`${"=".repeat(200_000)}x`])],
    ];
    for (const [what, attempt] of refusals) {
      let caught: unknown;
      try {
        await attempt();
      } catch (error) {
        caught = error;
      }
      assert(caught instanceof SessionKeyError, `${what}: expected SessionKeyError, got ${String(caught)}`);
    }
  });
}
