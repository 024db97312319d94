/**
 * What a protected cookie value is bound to besides its key: the format
 * version, the kind of protection and the cookie's name. These bytes go
 * into the HMAC input (signed) or the AES-GCM additional data (encrypted),
 * so a value made for cookie "session" does not verify under cookie
 * "admin", nor a signed value's bytes as an encrypted one.
 *
 * Encoding, unambiguous whatever the name holds:
 *   ASCII("hattip-session/v2/" + kind) ‖ 0x00 ‖ uint32be(byte length of name) ‖ UTF-8(name)
 */
import { utf8Encode } from "./utf8.js";

/** The cookie stores' two protections, and the session cache's (a copy of a server-side session, bound to its ID too). */
export type Protection = "signed" | "encrypted" | "cache-signed" | "cache-encrypted";

/** The cookie name of a session whose store is called without a scope. */
export const DEFAULT_SCOPE_NAME = "session";

/** Label of the key identifiers' derivation: a new format version gets new IDs, so old values are refused unread. */
export const KEY_ID_LABEL = utf8Encode("hattip-session/v2/key-id");

const MEMO_LIMIT = 32;

/** Purpose bytes by cookie name: an app has a handful of cookie names, used on every request. */
export class PurposeBytes {
  readonly #kind: Protection;
  readonly #memo = new Map<string, Uint8Array<ArrayBuffer>>();

  constructor(kind: Protection) {
    this.#kind = kind;
  }

  of(name: string): Uint8Array<ArrayBuffer> {
    const known = this.#memo.get(name);
    if (known) return known;
    const bytes = encodePurpose(this.#kind, name);
    if (this.#memo.size < MEMO_LIMIT) this.#memo.set(name, bytes);
    return bytes;
  }
}

export function encodePurpose(kind: Protection, name: string): Uint8Array<ArrayBuffer> {
  const label = utf8Encode(`hattip-session/v2/${kind}`);
  const nameBytes = utf8Encode(name);
  const bytes = new Uint8Array(label.length + 1 + 4 + nameBytes.length);
  bytes.set(label);
  new DataView(bytes.buffer).setUint32(label.length + 1, nameBytes.length);
  bytes.set(nameBytes, label.length + 5);
  return bytes;
}
