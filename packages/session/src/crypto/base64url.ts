/**
 * Base64url (RFC 4648 §5) without padding, strict on the way in: a string
 * outside the alphabet, of an impossible length, or with non-zero bits past
 * the last byte is rejected. Strictness matters here: a lenient decoder maps
 * several strings to the same bytes, so a tampered cookie could still verify.
 */

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const DECODE_TABLE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE_TABLE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base64url, without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = "";
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >>> 18]! +
      ALPHABET[(n >>> 12) & 63]! +
      ALPHABET[(n >>> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = bytes[whole]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    out +=
      ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/** Decodes canonical unpadded base64url, or returns `null` when `text` is not exactly that. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  const tail = text.length % 4;
  if (tail === 1) return null;
  const bytes = new Uint8Array(((text.length - tail) / 4) * 3 + (tail ? tail - 1 : 0));
  let value = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? DECODE_TABLE[code]! : -1;
    if (sextet < 0) return null;
    value = ((value << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (value >>> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two different strings would decode alike.
  if (bits > 0 && (value & ((1 << bits) - 1)) !== 0) return null;
  return bytes;
}

/**
 * Decodes a key written in base64 or base64url, padded or not: keys come
 * from environment variables written by other tools. Returns `null` when
 * `text` is neither.
 */
export function decodeBase64Key(text: string): Uint8Array<ArrayBuffer> | null {
  const trimmed = text.trim().replace(/=+$/, "");
  if (/[+/]/.test(trimmed) && /[-_]/.test(trimmed)) return null;
  return decodeBase64Url(trimmed.replace(/\+/g, "-").replace(/\//g, "_"));
}
