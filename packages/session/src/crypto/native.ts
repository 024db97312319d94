/**
 * The runtime's own `node:crypto`, where there is one (Node 20.16+, Bun,
 * Deno), reached through `process.getBuiltinModule` rather than an import:
 * a static `node:` import would stop the package loading on workerd and
 * edge runtimes. An HMAC or AES-GCM call through it costs a sixth of the
 * CPU of the same call through Web Crypto in Node (no job dispatch, no
 * promise, no algorithm normalising), and the bytes are the same.
 *
 * Only the handful of functions the cookie stores need are typed here, so
 * the build does not depend on Node's type definitions.
 */

/** Bytes as node:crypto returns them (a Buffer is a Uint8Array). */
type Bytes = Uint8Array;

export interface NativeSecretKey {
  readonly type: string;
  readonly symmetricKeySize?: number;
}

export interface NativeHmac {
  update(data: Bytes): NativeHmac;
  update(data: string, encoding: "latin1" | "utf8"): NativeHmac;
  digest(encoding: "base64url"): string;
}

export interface NativeCipher {
  setAAD(data: Bytes): NativeCipher;
  update(data: string, inputEncoding: "utf8"): Bytes;
  final(): Bytes;
  getAuthTag(): Bytes;
}

export interface NativeDecipher {
  setAAD(data: Bytes): NativeDecipher;
  setAuthTag(tag: Bytes): NativeDecipher;
  update(data: Bytes): Bytes;
  final(): Bytes;
}

export interface NativeCrypto {
  createSecretKey(key: Bytes): NativeSecretKey;
  createHmac(algorithm: "sha256", key: NativeSecretKey): NativeHmac;
  createHash(algorithm: "sha256"): { update(data: string, encoding: "utf8"): { digest(encoding: "base64url"): string } };
  /** One-shot digest (Node 20.12+, 21.7+): a third of `createHash`'s cost for a short text. */
  hash?(algorithm: "sha256", data: string, outputEncoding: "base64url"): string;
  createCipheriv(algorithm: "aes-256-gcm", key: NativeSecretKey, iv: Bytes, options: { authTagLength: number }): NativeCipher;
  createDecipheriv(algorithm: "aes-256-gcm", key: NativeSecretKey, iv: Bytes, options: { authTagLength: number }): NativeDecipher;
  timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean;
  KeyObject: { from(key: CryptoKey): NativeSecretKey };
}

const REQUIRED_FUNCTIONS = [
  "createHmac",
  "createHash",
  "createSecretKey",
  "createCipheriv",
  "createDecipheriv",
  "timingSafeEqual",
] as const satisfies readonly (keyof NativeCrypto)[];

interface ProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * `node:crypto` as the runtime offers it, or `null` where it has none (or
 * only a partial one). Looked up on every call, not once at load: a store
 * is built once, and a test can then build one as a runtime without
 * `node:crypto` would.
 */
export function nativeCrypto(): NativeCrypto | null {
  const processLike = (globalThis as { process?: ProcessWithBuiltins }).process;
  if (typeof processLike?.getBuiltinModule !== "function") return null;
  let candidate: Partial<NativeCrypto> | undefined;
  try {
    candidate = processLike.getBuiltinModule("node:crypto") as Partial<NativeCrypto> | undefined;
  } catch {
    return null;
  }
  const complete =
    candidate !== undefined &&
    REQUIRED_FUNCTIONS.every((name) => typeof candidate[name] === "function") &&
    typeof candidate.KeyObject?.from === "function";
  return complete ? (candidate as NativeCrypto) : null;
}
