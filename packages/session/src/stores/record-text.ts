/**
 * The text every bundled store keeps for a session:
 * `2|<createdAt>|<expiresAt>|<metaLength>|<meta JSON><data>`, timestamps in
 * milliseconds. In cookie stores the text travels under the signature or the
 * encryption, so a client cannot extend a session or edit its metadata.
 * The metadata's length comes first because its JSON may contain `|`.
 * Version 1 records (`1|<createdAt>|<expiresAt>|<data>`, written by 0.1)
 * are still read, so that upgrading does not sign everyone out of
 * server-side stores.
 */
import type { StoredEntry } from "../record-store.js";
import type { SessionMeta, SessionRecord } from "../types.js";
import { isPlainObject, parseJsonSafely, type Serializer } from "./serialization.js";

const MAX_USER_LENGTH = 512;
const MAX_AGENT_LENGTH = 100;

/** `dataJson`, when given, is `JSON.stringify(record.data)`, which the middleware made already. */
export function recordToText<Data>(record: SessionRecord<Data>, serializer: Serializer<Data>, dataJson?: string): string {
  const meta = metaToText(record.meta);
  return `2|${record.createdAt}|${record.expiresAt}|${meta.length}|${meta}${dataText(record, serializer, dataJson)}`;
}

/** The record's data as the store keeps it: `dataJson` (the data's JSON, made already) when the serializer writes JSON. */
export function dataText<Data>(record: SessionRecord<Data>, serializer: Serializer<Data>, dataJson?: string): string {
  return (serializer.isJson && dataJson) || serializer.stringify(record.data);
}

/** The record, or `null` when the text is malformed, expired, or its data or metadata invalid. */
export function textToRecord<Data>(text: string, serializer: Serializer<Data>, now: number): StoredEntry<Data> | null {
  if (typeof text !== "string") return null;
  const first = text.indexOf("|");
  const second = text.indexOf("|", first + 1);
  const third = text.indexOf("|", second + 1);
  if (first !== 1 || second < 0 || third < 0) return null;
  const version = text[0];
  if (version !== "1" && version !== "2") return null;
  const createdAt = parseDigits(text, first + 1, second, MAX_TIMESTAMP_DIGITS);
  const expiresAt = parseDigits(text, second + 1, third, MAX_TIMESTAMP_DIGITS);
  if (createdAt === null || expiresAt === null || expiresAt <= now) return null;

  let meta: SessionMeta | undefined;
  let dataStart = third + 1;
  if (version === "2") {
    const fourth = text.indexOf("|", third + 1);
    const metaLength = fourth < 0 ? null : parseDigits(text, third + 1, fourth, MAX_LENGTH_DIGITS);
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

/** Milliseconds since the epoch fit in 15 digits until the year 33658. */
const MAX_TIMESTAMP_DIGITS = 15;
const MAX_LENGTH_DIGITS = 7;

/** The number written in `text[start..end)` with 1 to `maxDigits` decimal digits and nothing else, or `null`. */
function parseDigits(text: string, start: number, end: number, maxDigits: number): number | null {
  if (end <= start || end - start > maxDigits) return null;
  let value = 0;
  for (let at = start; at < end; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value;
}
