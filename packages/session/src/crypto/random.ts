/**
 * Random bytes for IVs, drawn from a pool refilled 4 KiB at a time. Each
 * `crypto.getRandomValues` call costs about 5 µs in Node whatever its size
 * (more than the AES-GCM encryption of a cookie), so one call serves 341
 * IVs. The bytes are the platform CSPRNG's, handed out once each; an IV
 * is public anyway, so holding the next ones in memory reveals nothing.
 */
const POOL_BYTES = 4092; // a multiple of 12
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/** `length` fresh random bytes (at most 64, so the copy stays on V8's heap). */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (used + length > POOL_BYTES) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const bytes = pool.slice(used, used + length);
  used += length;
  return bytes;
}
