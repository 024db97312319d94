/**
 * Base64url (RFC 4648 §5) without padding, strict on the way in: a string
 * outside the alphabet, of an impossible length, or with non-zero bits past
 * the last byte is rejected. Strictness matters here: a lenient decoder maps
 * several strings to the same bytes, so a tampered cookie could still verify.
 */

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Output is written as ASCII codes into a byte array and turned into a
// string by the platform's decoder in one call: building the string four
// characters at a time costs several times more on a 2 KB cookie.
const ENCODE_TABLE = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
/** Sextet of every byte value, -1 outside the alphabet. */
const DECODE_TABLE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE_TABLE[ALPHABET.charCodeAt(i)] = i;

const ascii = new TextDecoder();
const asciiEncoder = new TextEncoder();

/** Encodes bytes as base64url, without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return ascii.decode(encodeBase64UrlAscii(bytes));
}

/** Like `encodeBase64Url`, but the ASCII codes of the text: what a signature is computed over. */
export function encodeBase64UrlAscii(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.length - (bytes.length % 3);
  const rest = bytes.length - whole;
  const out = new Uint8Array((whole / 3) * 4 + (rest ? rest + 1 : 0));
  let at = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[at++] = ENCODE_TABLE[n >>> 18]!;
    out[at++] = ENCODE_TABLE[(n >>> 12) & 63]!;
    out[at++] = ENCODE_TABLE[(n >>> 6) & 63]!;
    out[at++] = ENCODE_TABLE[n & 63]!;
  }
  if (rest === 1) {
    const n = bytes[whole]! << 16;
    out[at++] = ENCODE_TABLE[n >>> 18]!;
    out[at++] = ENCODE_TABLE[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    out[at++] = ENCODE_TABLE[n >>> 18]!;
    out[at++] = ENCODE_TABLE[(n >>> 12) & 63]!;
    out[at++] = ENCODE_TABLE[(n >>> 6) & 63]!;
  }
  return out;
}

/** Decodes canonical unpadded base64url, or returns `null` when `text` is not exactly that. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  const codes = asciiEncoder.encode(text);
  // Any non-ASCII character takes more than one byte; it is outside the alphabet anyway.
  return codes.length === text.length ? decodeBase64UrlAscii(codes) : null;
}

/** Like `decodeBase64Url`, from the text's ASCII codes. */
export function decodeBase64UrlAscii(codes: Uint8Array): Uint8Array<ArrayBuffer> | null {
  const tail = codes.length % 4;
  if (tail === 1) return null;
  const whole = codes.length - tail;
  const bytes = new Uint8Array((whole / 4) * 3 + (tail ? tail - 1 : 0));
  let at = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = DECODE_TABLE[codes[i]!]!;
    const b = DECODE_TABLE[codes[i + 1]!]!;
    const c = DECODE_TABLE[codes[i + 2]!]!;
    const d = DECODE_TABLE[codes[i + 3]!]!;
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    bytes[at++] = n >>> 16;
    bytes[at++] = (n >>> 8) & 0xff;
    bytes[at++] = n & 0xff;
  }
  if (tail > 0) {
    const a = DECODE_TABLE[codes[whole]!]!;
    const b = DECODE_TABLE[codes[whole + 1]!]!;
    const c = tail === 3 ? DECODE_TABLE[codes[whole + 2]!]! : 0;
    if ((a | b | c) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6);
    // Leftover bits must be zero, or two different strings would decode alike.
    if ((tail === 2 ? n & 0xffff : n & 0xff) !== 0) return null;
    bytes[at++] = n >>> 16;
    if (tail === 3) bytes[at++] = (n >>> 8) & 0xff;
  }
  return bytes;
}

/**
 * Decodes a key written in base64 or base64url, padded or not: keys come
 * from environment variables written by other tools. Returns `null` when
 * `text` is neither.
 */
export function decodeBase64Key(text: string): Uint8Array<ArrayBuffer> | null {
  const trimmed = text.trim();
  // Padding counted from the end by hand: a regex anchored at the end (/=+$/) retries from every
  // "=" of a long run, which is quadratic in its length.
  let end = trimmed.length;
  while (end > 0 && trimmed.charCodeAt(end - 1) === 0x3d) end--;
  const unpadded = trimmed.slice(0, end);
  if (/[+/]/.test(unpadded) && /[-_]/.test(unpadded)) return null;
  return decodeBase64Url(unpadded.replace(/\+/g, "-").replace(/\//g, "_"));
}
