/**
 * Property tests of the cookie stores: whatever a client sends, loading
 * never throws and never yields anything but a plain object or null; what
 * we write reads back; and no single-character edit of a signed or
 * encrypted cookie is accepted.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EncryptedCookieStore, SignedCookieStore, UnsignedCookieStore, type SessionRecord } from "../src/index.js";

const RUNS = 10_000;
/** Each property runs in a few seconds alone; CI runs many test files at once on two cores. */
const PROPERTY_TIMEOUT_MS = 60_000;
const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

type Data = Record<string, unknown>;

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Cookie values a client could send: any text, and text shaped like our own values. */
const anyCookieValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...BASE64URL_ALPHABET), maxLength: 200 }),
  fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...BASE64URL_ALPHABET), maxLength: 120 }),
      fc.string({ unit: fc.constantFrom(...BASE64URL_ALPHABET), minLength: 42, maxLength: 44 }),
    )
    .map(([payload, signature]) => `${payload}.${signature}`),
);

/**
 * Session data as JSON sees it. Keys include `__proto__` and values include
 * -0: both survive only as JSON defines (an own "__proto__" key, and 0), so
 * round trips are compared through JSON text.
 */
const sessionData: fc.Arbitrary<Data> = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 6,
});

/** A record whose deadline is still ahead, as the middleware writes them. */
const liveRecord = (data: fc.Arbitrary<Data>) =>
  fc
    .record({
      data,
      createdAgo: fc.integer({ min: 0, max: 30 * 24 * 3600 * 1000 }),
      expiresIn: fc.integer({ min: 60_000, max: 30 * 24 * 3600 * 1000 }),
    })
    .map(({ data, createdAgo, expiresIn }): SessionRecord<Data> => {
      const now = Date.now();
      return { data, createdAt: now - createdAgo, expiresAt: now + expiresIn };
    });

/**
 * One character flipped, dropped or added, drawn apart from the cookie it
 * applies to: `at` is taken modulo the cookie's length. Half the edits stay
 * within the base64url alphabet, where a change is hardest to spot by format.
 */
const singleCharacterEdit = fc.record({
  kind: fc.constantFrom("flip" as const, "drop" as const, "add" as const),
  at: fc.nat(),
  character: fc.oneof(fc.constantFrom(...BASE64URL_ALPHABET), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
});
type SingleCharacterEdit = typeof singleCharacterEdit extends fc.Arbitrary<infer Edit> ? Edit : never;

function applyEdit(value: string, { kind, at, character }: SingleCharacterEdit): string {
  const index = at % (kind === "add" ? value.length + 1 : value.length);
  if (kind === "drop") return value.slice(0, index) + value.slice(index + 1);
  if (kind === "add") return value.slice(0, index) + character + value.slice(index);
  const replacement = character !== value[index] ? character : BASE64URL_ALPHABET[(BASE64URL_ALPHABET.indexOf(character) + 1) % 64]!;
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

const asJson = (value: unknown) => JSON.stringify(value);

/** What the default parse keeps of `value`: everything but `__proto__`, `constructor` and `prototype` keys, at any depth. */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);
function withoutPrototypeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypeKeys);
  if (typeof value !== "object" || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (!PROTOTYPE_KEYS.has(key))
      Object.defineProperty(kept, key, { value: withoutPrototypeKeys(child), enumerable: true, writable: true, configurable: true });
  }
  return kept;
}

let signed: SignedCookieStore<Data>;
let signedReader: SignedCookieStore<Data>;
let signedWithOtherKey: SignedCookieStore<Data>;
let encrypted: EncryptedCookieStore<Data>;
let encryptedReader: EncryptedCookieStore<Data>;
let encryptedWithOtherKey: EncryptedCookieStore<Data>;

beforeAll(async () => {
  // Readers are other instances with the same key: what one store writes, any store holding the key reads.
  const signingKey = await SignedCookieStore.generateKey();
  signed = new SignedCookieStore<Data>([signingKey]);
  signedReader = new SignedCookieStore<Data>([signingKey]);
  signedWithOtherKey = new SignedCookieStore<Data>([await SignedCookieStore.generateKey()]);
  const encryptionKey = await EncryptedCookieStore.generateKey();
  encrypted = new EncryptedCookieStore<Data>([encryptionKey]);
  encryptedReader = new EncryptedCookieStore<Data>([encryptionKey]);
  encryptedWithOtherKey = new EncryptedCookieStore<Data>([await EncryptedCookieStore.generateKey()]);
});

describe("UnsignedCookieStore with a validating parse", () => {
  const Preferences = z.strictObject({
    theme: z.enum(["light", "dark"]),
    language: z.string().max(8),
  });
  type Preferences = z.infer<typeof Preferences>;
  const store = new UnsignedCookieStore<Preferences>({ parse: (text) => Preferences.parse(JSON.parse(text)) });

  it(
    "loads any string as null or valid preferences, never throwing",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            anyCookieValue,
            fc.jsonValue().map((value) => JSON.stringify(value)),
            fc.record({ theme: fc.string(), language: fc.string() }).map((value) => JSON.stringify(value)),
          ),
          async (cookieValue) => {
            const loaded = await store.load(cookieValue);
            expect(loaded === null || Preferences.safeParse(loaded).success).toBe(true);
          },
        ),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "round-trips every valid preference",
    async () => {
      const preferences = fc.record({
        theme: fc.constantFrom("light" as const, "dark" as const),
        language: fc.string({ maxLength: 8 }),
      });
      await fc.assert(
        fc.asyncProperty(preferences, async (value) => {
          expect(await store.load(await store.save(null, value, 60_000))).toEqual(value);
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "round-trips any JSON object with the default parse, without prototype keys",
    async () => {
      const plain = new UnsignedCookieStore<Data>();
      await fc.assert(
        fc.asyncProperty(sessionData, async (data) => {
          expect(asJson(await plain.load(await plain.save(null, data, 60_000)))).toBe(asJson(withoutPrototypeKeys(data)));
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe.each([
  { name: "SignedCookieStore", store: () => signed, reader: () => signedReader, otherKey: () => signedWithOtherKey },
  {
    name: "EncryptedCookieStore",
    store: () => encrypted,
    reader: () => encryptedReader,
    otherKey: () => encryptedWithOtherKey,
  },
])("$name", ({ store, reader, otherKey }) => {
  it(
    "loads any string as null or a plain object, never throwing",
    async () => {
      await fc.assert(
        fc.asyncProperty(anyCookieValue, async (cookieValue) => {
          const loaded = await store().loadRecord(cookieValue);
          expect(loaded === null || isPlainObject(loaded.data)).toBe(true);
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "round-trips any JSON object and its timestamps through saveRecord and loadRecord",
    async () => {
      await fc.assert(
        fc.asyncProperty(liveRecord(sessionData), async (record) => {
          const loaded = await reader().loadRecord(await store().saveRecord(null, record));
          expect(loaded).not.toBeNull();
          expect(asJson(loaded!.data)).toBe(asJson(withoutPrototypeKeys(record.data)));
          expect(loaded!.createdAt).toBe(record.createdAt);
          expect(loaded!.expiresAt).toBe(record.expiresAt);
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "rejects any cookie with one character flipped, dropped or added",
    async () => {
      // Cookies are made once and edited many times: the property is about the edit, and signing is the slow part.
      const cookies = await Promise.all(
        fc.sample(liveRecord(sessionData), { numRuns: 200, seed: 7 }).map((record) => store().saveRecord(null, record)),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...cookies), singleCharacterEdit, async (cookieValue, edit) => {
          expect(await reader().loadRecord(applyEdit(cookieValue, edit))).toBeNull();
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "rejects a cookie made with a key it does not hold",
    async () => {
      await fc.assert(
        fc.asyncProperty(liveRecord(sessionData), async (record) => {
          expect(await store().loadRecord(await otherKey().saveRecord(null, record))).toBeNull();
        }),
        { numRuns: 1_000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
