/**
 * The plaintext inside a signed or encrypted cookie:
 * `1|<createdAt>|<expiresAt>|<serialized data>`, timestamps in milliseconds.
 * The timestamps travel under the signature or the encryption, so a client
 * cannot extend a session by ignoring Max-Age or editing the cookie.
 */
import type { SessionRecord } from "../types.js";
import type { Serializer } from "./serialization.js";

const VERSION = "1";

export function recordToText<Data>(record: SessionRecord<Data>, serializer: Serializer<Data>): string {
  return `${VERSION}|${record.createdAt}|${record.expiresAt}|${serializer.stringify(record.data)}`;
}

/** The record, or `null` when the text is malformed, expired or its data invalid. */
export function textToRecord<Data>(
  text: string,
  serializer: Serializer<Data>,
  now: number,
): SessionRecord<Data> | null {
  const first = text.indexOf("|");
  const second = text.indexOf("|", first + 1);
  const third = text.indexOf("|", second + 1);
  if (first < 0 || second < 0 || third < 0 || text.slice(0, first) !== VERSION) return null;
  const createdAt = parseTimestamp(text.slice(first + 1, second));
  const expiresAt = parseTimestamp(text.slice(second + 1, third));
  if (createdAt === null || expiresAt === null || expiresAt <= now) return null;
  const data = serializer.parse(text.slice(third + 1));
  return data === null ? null : { data, createdAt, expiresAt };
}

function parseTimestamp(digits: string): number | null {
  if (!/^\d{1,15}$/.test(digits)) return null;
  return Number(digits);
}
