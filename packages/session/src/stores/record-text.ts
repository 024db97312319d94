/**
 * The text every bundled store keeps for a session:
 * `3.<createdAt>.<expiresAt>.<metaLength>.<meta JSON><data>`, the three
 * numbers in base 36 (timestamps in milliseconds). In cookie stores the text
 * travels under the signature or the encryption, so a client cannot extend a
 * session or edit its metadata. The metadata's length comes first because
 * its JSON may contain any character.
 *
 * Base 36 and a `.`, which `encodeURIComponent` leaves as it is, keep the
 * header short: with today's timestamps, 22 characters where the decimal,
 * `|`-separated version 2 took 32, and 40 once URL-encoded in an unsigned
 * cookie. Every request
 * carries the cookie, and every server-side record is kept in memory.
 * Records of version 2 (`2|<createdAt>|<expiresAt>|<metaLength>|...`, in
 * decimal) and version 1 (`1|<createdAt>|<expiresAt>|<data>`, written by
 * 0.1) are still read, so that upgrading signs no one out.
 */
import type { StoredEntry } from "../record-store.js";
import type { SessionMeta, SessionRecord } from "../types.js";
import { isPlainObject, parseJsonSafely, type Serializer } from "./serialization.js";

const MAX_USER_LENGTH = 512;
const MAX_AGENT_LENGTH = 100;

/** `dataJson`, when given, is `JSON.stringify(record.data)`, which the middleware made already. */
export function recordToText<Data>(record: SessionRecord<Data>, serializer: Serializer<Data>, dataJson?: string): string {
  const meta = metaToText(record.meta);
  return `3.${base36(record.createdAt)}.${base36(record.expiresAt)}.${meta.length.toString(36)}.${meta}${dataText(record, serializer, dataJson)}`;
}

/** 36 ** 6: below it, a number is one V8 writes in base 36 on its fast path. */
const SIX_BASE36_DIGITS = 2_176_782_336;

/**
 * `Math.floor(milliseconds).toString(36)`, in two halves of at most six
 * digits: V8 writes a timestamp (a double) in base 36 on its general path,
 * about three times as slow. A whole millisecond, since a lifetime given in
 * fractions of a second (`maxAge: 3600.0005`) must not write a fraction the
 * header cannot hold.
 */
function base36(milliseconds: number): string {
  const whole = Math.floor(milliseconds);
  if (!Number.isSafeInteger(whole) || whole < SIX_BASE36_DIGITS) return whole.toString(36);
  const high = Math.floor(whole / SIX_BASE36_DIGITS);
  const low = (whole - high * SIX_BASE36_DIGITS).toString(36);
  return high.toString(36) + "000000".slice(low.length) + low;
}

/** The record's data as the store keeps it: `dataJson` (the data's JSON, made already) when the serializer writes JSON. */
export function dataText<Data>(record: SessionRecord<Data>, serializer: Serializer<Data>, dataJson?: string): string {
  return (serializer.isJson && dataJson) || serializer.stringify(record.data);
}

/** How one version of the record text writes its header. */
interface HeaderFormat {
  readonly separator: string;
  readonly radix: 10 | 36;
  /** Digits a timestamp may take: 11 in base 36 hold any safe integer, 15 decimal ones last until the year 33658. */
  readonly timestampDigits: number;
  readonly lengthDigits: number;
  readonly hasMeta: boolean;
}

const VERSION_3: HeaderFormat = { separator: ".", radix: 36, timestampDigits: 11, lengthDigits: 5, hasMeta: true };
const VERSION_2: HeaderFormat = { separator: "|", radix: 10, timestampDigits: 15, lengthDigits: 7, hasMeta: true };
const VERSION_1: HeaderFormat = { separator: "|", radix: 10, timestampDigits: 15, lengthDigits: 0, hasMeta: false };

function headerFormatOf(version: string | undefined): HeaderFormat | null {
  return version === "3" ? VERSION_3 : version === "2" ? VERSION_2 : version === "1" ? VERSION_1 : null;
}

/** The record, or `null` when the text is malformed, expired, or its data or metadata invalid. */
export function textToRecord<Data>(text: string, serializer: Serializer<Data>, now: number): StoredEntry<Data> | null {
  if (typeof text !== "string") return null;
  const format = headerFormatOf(text[0]);
  if (format === null || text[1] !== format.separator) return null;
  const { separator, radix } = format;
  const second = text.indexOf(separator, 2);
  const third = second < 0 ? -1 : text.indexOf(separator, second + 1);
  if (third < 0) return null;
  const createdAt = parseNumber(text, 2, second, radix, format.timestampDigits);
  const expiresAt = parseNumber(text, second + 1, third, radix, format.timestampDigits);
  if (createdAt === null || expiresAt === null || expiresAt <= now) return null;

  let meta: SessionMeta | undefined;
  let dataStart = third + 1;
  if (format.hasMeta) {
    const fourth = text.indexOf(separator, third + 1);
    const metaLength = fourth < 0 ? null : parseNumber(text, third + 1, fourth, radix, format.lengthDigits);
    if (metaLength === null || fourth + 1 + metaLength > text.length) return null;
    dataStart = fourth + 1 + metaLength;
    if (metaLength > 0) {
      const parsed = textToMeta(text.slice(fourth + 1, dataStart));
      if (parsed === null) return null;
      meta = parsed;
    }
  }
  const dataText = text.slice(dataStart);
  const data = serializer.parse(dataText);
  if (data === null) return null;
  const record: SessionRecord<Data> = meta ? { data, createdAt, expiresAt, meta } : { data, createdAt, expiresAt };
  return serializer.isJson ? { record, dataJson: dataText } : { record };
}

/** Why `textToRecord` refused `text`: it reads as a record past its deadline, or not as a record at all. */
export function refusalOfText<Data>(text: string, serializer: Serializer<Data>): "expired" | "malformed" {
  return textToRecord(text, serializer, Number.NEGATIVE_INFINITY) === null ? "malformed" : "expired";
}

/** The metadata as stored: JSON of its set fields, or "" when there are none. */
export function metaToText(meta: SessionMeta | undefined): string {
  if (!meta) return "";
  // Most sessions carry no metadata: nothing to copy or count.
  if (meta.user === undefined && meta.authAt === undefined && meta.seenAt === undefined && meta.agent === undefined && meta.flash === undefined) {
    return "";
  }
  const kept: SessionMeta = {};
  if (meta.user !== undefined) kept.user = meta.user;
  if (meta.authAt !== undefined) kept.authAt = meta.authAt;
  if (meta.seenAt !== undefined) kept.seenAt = meta.seenAt;
  if (meta.agent !== undefined) kept.agent = meta.agent;
  if (meta.flash !== undefined && Object.keys(meta.flash).length > 0) kept.flash = meta.flash;
  return Object.keys(kept).length === 0 ? "" : JSON.stringify(kept);
}

/** Metadata, checked field by field: anything unexpected makes the whole record invalid. */
export function textToMeta(text: string): SessionMeta | null {
  let parsed: unknown;
  try {
    parsed = parseJsonSafely(text);
  } catch {
    return null;
  }
  if (!isPlainObject(parsed)) return null;
  const meta: SessionMeta = {};
  const { user, authAt, seenAt, agent, flash } = parsed;
  if (user !== undefined) {
    if (typeof user !== "string" || user.length === 0 || user.length > MAX_USER_LENGTH) return null;
    meta.user = user;
  }
  if (authAt !== undefined) {
    if (!isTimestamp(authAt)) return null;
    meta.authAt = authAt;
  }
  if (seenAt !== undefined) {
    if (!isTimestamp(seenAt)) return null;
    meta.seenAt = seenAt;
  }
  if (agent !== undefined) {
    if (typeof agent !== "string" || agent.length > MAX_AGENT_LENGTH) return null;
    meta.agent = agent;
  }
  if (flash !== undefined) {
    if (!isPlainObject(flash)) return null;
    meta.flash = flash;
  }
  return meta;
}

function isTimestamp(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The number written in `text[start..end)` with 1 to `maxDigits` digits of
 * `radix` (lower-case letters past 9) and nothing else, or `null` when it is
 * not one or passes `Number.MAX_SAFE_INTEGER`.
 */
function parseNumber(text: string, start: number, end: number, radix: 10 | 36, maxDigits: number): number | null {
  if (end <= start || end - start > maxDigits) return null;
  let value = 0;
  for (let at = start; at < end; at++) {
    const code = text.charCodeAt(at);
    // '0'-'9' are 48-57 and 'a'-'z' 97-122: each maps to its digit, anything else to radix or more.
    const digit = code <= 57 ? (code >= 48 ? code - 48 : radix) : code >= 97 ? code - 87 : radix;
    if (digit >= radix) return null;
    value = value * radix + digit;
  }
  return Number.isSafeInteger(value) ? value : null;
}
