/**
 * Base64url (RFC 4648 §5) without padding, strict on the way in: a string
 * outside the alphabet, of an impossible length, or with non-zero bits past
 * the last byte is rejected. Strictness matters here: a lenient decoder maps
 * several strings to the same bytes, so a tampered cookie could still verify.
 *
 * The hot path (a cookie per request) allocates no byte arrays: text is
 * read with charCodeAt and bytes are staged in two reusable scratch
 * buffers, turned into a string by the platform's decoder in one call. In
 * V8 every Uint8Array over 64 bytes gets its own off-heap backing store,
 * which costs more than encoding a 300-byte cookie and loads the garbage
 * collector. Everything here is synchronous, so one buffer per role is safe.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const ENCODE_TABLE = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
/** Sextet of every character code below 128, -1 outside the alphabet. */
const DECODE_TABLE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE_TABLE[ALPHABET.charCodeAt(i)] = i;

// ASCII out: the UTF-8 decoder reads it as is, on every runtime.
const asciiDecoder = new TextDecoder();
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Reusable byte buffers that grow to the largest size asked, rounded to 4 KiB. */
class Scratch {
  #bytes = new Uint8Array(4096);
  get(size: number): Uint8Array<ArrayBuffer> {
    if (this.#bytes.length < size) this.#bytes = new Uint8Array(Math.ceil(size / 4096) * 4096);
    return this.#bytes;
  }
}
/** Bytes on their way in: UTF-8 of a text to encode, bytes of a text decoded. */
const inputScratch = new Scratch();
/** ASCII codes of encoded text on their way out. */
const outputScratch = new Scratch();

/** Encodes bytes as base64url, without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeInto(bytes, bytes.length);
}

/** Base64url of the UTF-8 bytes of `text`. */
export function encodeTextBase64Url(text: string): string {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const bytes = inputScratch.get(text.length * 3);
  const { written } = utf8Encoder.encodeInto(text, bytes);
  return encodeInto(bytes, written);
}

/**
 * A byte buffer of at least `size` bytes to assemble a message in before
 * `encodeBase64Url(buffer.subarray(0, size))`. Valid until the next call
 * into this module: fill it and encode it in one synchronous step.
 */
export function stagingBuffer(size: number): Uint8Array<ArrayBuffer> {
  return inputScratch.get(size);
}

function encodeInto(bytes: Uint8Array, length: number): string {
  const whole = length - (length % 3);
  const rest = length - whole;
  const size = (whole / 3) * 4 + (rest ? rest + 1 : 0);
  const out = outputScratch.get(size);
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
  return asciiDecoder.decode(out.subarray(0, size));
}

/** Decodes canonical unpadded base64url into new bytes, or returns `null` when `text` is not exactly that. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  const length = decodeIntoScratch(text);
  return length < 0 ? null : inputScratch.get(length).slice(0, length);
}

/**
 * Like `decodeBase64Url`, into a scratch buffer: a view valid until the
 * next call into this module. For bytes used at once and let go (handed
 * synchronously to a cipher, which copies what it keeps).
 */
export function decodeBase64UrlTransient(text: string): Uint8Array<ArrayBuffer> | null {
  const length = decodeIntoScratch(text);
  return length < 0 ? null : inputScratch.get(length).subarray(0, length);
}

/** The UTF-8 text whose bytes `text` encodes, or `null` when it is not canonical base64url of valid UTF-8. */
export function decodeBase64UrlText(text: string): string | null {
  const length = decodeIntoScratch(text);
  if (length < 0) return null;
  try {
    return utf8Decoder.decode(inputScratch.get(length).subarray(0, length));
  } catch {
    return null;
  }
}

/** Decodes into the input scratch buffer; the byte count, or -1 when `text` is not canonical unpadded base64url. */
function decodeIntoScratch(text: string): number {
  const tail = text.length % 4;
  if (tail === 1) return -1;
  const whole = text.length - tail;
  const size = (whole / 4) * 3 + (tail ? tail - 1 : 0);
  const bytes = inputScratch.get(size);
  let at = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = sextet(text.charCodeAt(i));
    const b = sextet(text.charCodeAt(i + 1));
    const c = sextet(text.charCodeAt(i + 2));
    const d = sextet(text.charCodeAt(i + 3));
    if ((a | b | c | d) < 0) return -1;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    bytes[at++] = n >>> 16;
    bytes[at++] = (n >>> 8) & 0xff;
    bytes[at++] = n & 0xff;
  }
  if (tail > 0) {
    const a = sextet(text.charCodeAt(whole));
    const b = sextet(text.charCodeAt(whole + 1));
    const c = tail === 3 ? sextet(text.charCodeAt(whole + 2)) : 0;
    if ((a | b | c) < 0) return -1;
    const n = (a << 18) | (b << 12) | (c << 6);
    // Leftover bits must be zero, or two different strings would decode alike.
    if ((tail === 2 ? n & 0xffff : n & 0xff) !== 0) return -1;
    bytes[at++] = n >>> 16;
    if (tail === 3) bytes[at++] = (n >>> 8) & 0xff;
  }
  return size;
}

/** The 6-bit value of a base64url character code, -1 for any other. */
function sextet(code: number): number {
  return code < 128 ? DECODE_TABLE[code]! : -1;
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
