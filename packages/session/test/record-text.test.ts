/**
 * The record text every bundled store keeps (src/stores/record-text.ts):
 * what is written reads back exactly, records of the earlier versions still
 * read, and a header that is not exactly one of ours reads as no session.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UnsignedCookieStore, type SessionMeta, type SessionRecord } from "../src/index.js";
import { metaToText, recordToText, textToRecord } from "../src/stores/record-text.js";
import { createSerializer } from "../src/stores/serialization.js";

type Data = Record<string, unknown>;
const json = createSerializer<Data>();
const NOW = Date.now();
const RUNS = 2_000;

const timestamp = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
/** Keys the default parse keeps (it drops `__proto__`, `constructor` and `prototype`, property-cookie-stores.test.ts). */
const key = fc.string({ maxLength: 12 }).filter((name) => !["__proto__", "constructor", "prototype"].includes(name));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.constant(null)),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3 }),
  ),
})).value;
const meta: fc.Arbitrary<SessionMeta | undefined> = fc.option(
  fc.record(
    {
      user: fc.string({ minLength: 1, maxLength: 40 }),
      authAt: timestamp,
      seenAt: timestamp,
      agent: fc.string({ maxLength: 100 }),
      flash: fc.dictionary(key, jsonValue, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const record: fc.Arbitrary<SessionRecord<Data>> = fc
  .record({
    data: fc.dictionary(key, jsonValue, { maxKeys: 6 }),
    createdAt: timestamp,
    expiresAt: fc.integer({ min: NOW + 1, max: Number.MAX_SAFE_INTEGER }),
    meta,
  })
  .map(({ meta, ...rest }) => (meta === undefined ? rest : { ...rest, meta }));

/** What reading keeps of a record: JSON's view of the data and metadata (flash only when it holds something). */
const asRead = (entry: SessionRecord<Data>) => {
  const metaText = metaToText(entry.meta);
  return { data: JSON.stringify(entry.data), createdAt: entry.createdAt, expiresAt: entry.expiresAt, meta: metaText };
};

/** The same record as version 2 wrote it: decimal numbers between bars. */
function versionTwoText(entry: SessionRecord<Data>): string {
  const metaText = metaToText(entry.meta);
  return `2|${entry.createdAt}|${entry.expiresAt}|${metaText.length}|${metaText}${JSON.stringify(entry.data)}`;
}

describe("the record text", () => {
  it("reads back every record it writes, metadata included", () => {
    fc.assert(
      fc.property(record, (written) => {
        const read = textToRecord(recordToText(written, json), json, NOW);
        expect(read).not.toBeNull();
        expect(asRead(read!.record)).toEqual(asRead(written));
      }),
      { numRuns: RUNS },
    );
  });

  it("writes a header of base-36 numbers between dots, which encodeURIComponent leaves as it is", () => {
    fc.assert(
      fc.property(record, (written) => {
        const text = recordToText(written, json);
        const metaText = metaToText(written.meta);
        const header = `3.${written.createdAt.toString(36)}.${written.expiresAt.toString(36)}.${metaText.length.toString(36)}.`;
        expect(text).toBe(`${header}${metaText}${JSON.stringify(written.data)}`);
        expect(encodeURIComponent(header)).toBe(header);
      }),
      { numRuns: RUNS },
    );
  });

  it("writes each timestamp exactly as toString(36) does, about every power of 36 too", () => {
    const around = (value: number) => [value - 1, value, value + 1];
    const timestamps = [0, 1, 35, 36, ...[5, 6, 7, 10].flatMap((power) => around(36 ** power)), NOW, Number.MAX_SAFE_INTEGER];
    for (const createdAt of timestamps) {
      const text = recordToText({ data: {}, createdAt, expiresAt: Number.MAX_SAFE_INTEGER }, json);
      expect(text.slice(2, text.indexOf(".", 2)), String(createdAt)).toBe(createdAt.toString(36));
      expect(textToRecord(text, json, NOW)?.record.createdAt).toBe(createdAt);
    }
  });

  it("still reads the records of version 2 as they were written", () => {
    // Version 2 held timestamps of up to 15 decimal digits.
    const versionTwoRecord = record.filter((entry) => entry.createdAt < 1e15 && entry.expiresAt < 1e15);
    fc.assert(
      fc.property(versionTwoRecord, (written) => {
        const read = textToRecord(versionTwoText(written), json, NOW);
        expect(read).not.toBeNull();
        expect(asRead(read!.record)).toEqual(asRead(written));
      }),
      { numRuns: RUNS },
    );
  });

  it("still reads the records of version 1, written by 0.1", () => {
    const read = textToRecord(`1|${NOW - 1_000}|${NOW + 60_000}|{"theme":"dark"}`, json, NOW);
    expect(read?.record).toEqual({ data: { theme: "dark" }, createdAt: NOW - 1_000, expiresAt: NOW + 60_000 });
  });

  it("writes a deadline with a fraction of a millisecond as the whole millisecond before it", () => {
    const text = recordToText({ data: {}, createdAt: NOW, expiresAt: NOW + 3_600_000.5 }, json);
    expect(textToRecord(text, json, NOW)?.record.expiresAt).toBe(NOW + 3_600_000);
  });

  it("reads a header number only when it is 1 to 11 lower-case base-36 digits within a safe integer", () => {
    const later = (NOW + 60_000).toString(36);
    const withCreatedAt = (createdAt: string) => textToRecord(`3.${createdAt}.${later}.0.{}`, json, NOW)?.record.createdAt ?? null;
    expect(withCreatedAt("0")).toBe(0);
    expect(withCreatedAt(Number.MAX_SAFE_INTEGER.toString(36))).toBe(Number.MAX_SAFE_INTEGER);
    for (const refused of [
      "",
      "A",
      "mxdkurzc".toUpperCase(),
      "12345678901z",
      (Number.MAX_SAFE_INTEGER + 1).toString(36),
      "1.5",
      "-1",
      "+1",
      " 1",
      "1_0",
      "z{",
    ]) {
      expect(withCreatedAt(refused), refused).toBeNull();
    }
  });

  it("reads as no session any header that is not exactly one of its versions", () => {
    const later = (NOW + 60_000).toString(36);
    for (const text of [
      `3|${NOW}|${NOW + 60_000}|0|{}`,
      `2.${NOW}.${NOW + 60_000}.0.{}`,
      `3.${later}.${later}.1.{}`,
      `3.${later}.${later}.{}`,
      `3.${later}.${later}`,
      `4.${later}.${later}.0.{}`,
      `30.${later}.${later}.0.{}`,
      "3.",
      "3",
      "",
    ]) {
      expect(textToRecord(text, json, NOW), text).toBeNull();
    }
  });

  it("never throws, whatever follows a version's first characters", () => {
    fc.assert(
      fc.property(fc.constantFrom("1|", "2|", "3."), fc.string({ unit: fc.constantFrom(...'0189az.|{}":AZ'), maxLength: 40 }), (start, rest) => {
        const read = textToRecord(start + rest, json, NOW);
        expect(read === null || typeof read.record.createdAt === "number").toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("UnsignedCookieStore's value", () => {
  it("is 18 characters shorter URL-encoded than version 2's was, for a session that carries no metadata", async () => {
    const store = new UnsignedCookieStore<Data>();
    const written: SessionRecord<Data> = { data: { theme: "dark" }, createdAt: NOW, expiresAt: NOW + 14 * 24 * 3600 * 1000 };
    const value = await store.saveRecord(null, written);
    expect(encodeURIComponent(versionTwoText(written)).length - encodeURIComponent(value).length).toBe(18);
    expect((await store.loadRecord(value))?.data).toEqual({ theme: "dark" });
  });
});
