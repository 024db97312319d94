/**
 * Cookie chunking: one value spread over `name.0`, `name.1`, ... when it
 * does not fit in one cookie. Splitting and joining only: whether the
 * joined value is genuine is the store's business (a signature or an
 * authentication tag over the whole value), so a tampered, missing,
 * reordered or extra chunk fails as a whole there, or here when the set of
 * chunks is not exactly `0..n-1`.
 */

/** What a request carried under a session's cookie name. */
export type ChunkedReading =
  | { kind: "absent" }
  | { kind: "value"; value: string }
  /** Chunks that cannot be one value (a gap, a stray index, both forms at once): the session is invalid. */
  | { kind: "invalid" };

/** The indexes of `name.N` cookies in `cookies`. */
export function chunkIndexes(cookies: Readonly<Record<string, string | undefined>>, name: string): number[] {
  const prefix = `${name}.`;
  const indexes: number[] = [];
  for (const key of Object.keys(cookies)) {
    if (!key.startsWith(prefix)) continue;
    const suffix = key.slice(prefix.length);
    if (/^(0|[1-9]\d{0,3})$/.test(suffix)) indexes.push(Number(suffix));
  }
  return indexes;
}

export function readChunks(cookies: Readonly<Record<string, string | undefined>>, name: string, maxChunks: number): ChunkedReading {
  const plain = cookies[name];
  const indexes = chunkIndexes(cookies, name);
  if (indexes.length === 0) return plain === undefined ? { kind: "absent" } : { kind: "value", value: plain };
  // A value that fits in one cookie is never chunked, and a chunked one never has a plain cookie beside it.
  if (plain !== undefined || indexes.length < 2 || indexes.length > maxChunks) return { kind: "invalid" };
  const parts: string[] = [];
  for (let index = 0; index < indexes.length; index++) {
    const part = cookies[`${name}.${index}`];
    if (part === undefined || part === "") return { kind: "invalid" };
    parts.push(part);
  }
  return { kind: "value", value: parts.join("") };
}

/**
 * Splits an encoded (percent-encoded ASCII) cookie value into pieces of at
 * most `budget` characters, never inside a `%XX` escape nor between the
 * bytes of one UTF-8 character, so each piece decodes on its own.
 */
export function splitEncoded(encoded: string, budget: number): string[] {
  if (budget < 12) throw new RangeError("A cookie chunk needs room for at least 12 characters of value.");
  const pieces: string[] = [];
  let start = 0;
  while (encoded.length - start > budget) {
    let end = start + budget;
    // Step back to a boundary: not inside an escape, and not before a UTF-8 continuation byte.
    while (end > start && !isBoundary(encoded, end)) end--;
    pieces.push(encoded.slice(start, end));
    start = end;
  }
  pieces.push(encoded.slice(start));
  return pieces;
}

function isBoundary(encoded: string, at: number): boolean {
  if (encoded[at - 1] === "%" || encoded[at - 2] === "%") return false;
  if (encoded[at] !== "%") return true;
  const byte = Number.parseInt(encoded.slice(at + 1, at + 3), 16);
  return !(byte >= 0x80 && byte <= 0xbf);
}
