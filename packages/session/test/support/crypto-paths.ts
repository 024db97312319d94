/**
 * Running the cookie stores on either crypto path inside Node: a store
 * built while `process.getBuiltinModule` is absent takes the Web Crypto
 * path, exactly as on workerd or edge-runtime; otherwise it takes the
 * native one. And counting the crypto operations a load runs, on both
 * paths, by wrapping (not replacing) the functions that do them.
 */
import { vi } from "vitest";

type ProcessWithBuiltins = { getBuiltinModule?: (id: string) => unknown };

export type CryptoPath = "native" | "web";
export const CRYPTO_PATHS: readonly CryptoPath[] = ["native", "web"];

/** Runs `build` as on a runtime without `node:crypto` when `path` is "web". */
export function onPath<T>(path: CryptoPath, build: () => T): T {
  if (path === "native") return build();
  const processLike = process as ProcessWithBuiltins;
  const saved = processLike.getBuiltinModule;
  processLike.getBuiltinModule = undefined;
  try {
    return build();
  } finally {
    processLike.getBuiltinModule = saved;
  }
}

/** Node's own crypto module, the object the native path calls into. */
export const nodeCrypto = (process as ProcessWithBuiltins).getBuiltinModule!("node:crypto") as typeof import("node:crypto");

/**
 * Counts HMAC verifications and AES-GCM decryptions while `work` runs, by
 * path: `crypto.subtle.verify`/`decrypt` calls (web), and HMAC and
 * decipher objects made by node:crypto (native). The real functions run
 * underneath.
 */
export async function countCryptoOperations(work: () => Promise<unknown>): Promise<{ web: number; native: number; total: number }> {
  const web = [vi.spyOn(crypto.subtle, "verify"), vi.spyOn(crypto.subtle, "decrypt")];
  const native = [vi.spyOn(nodeCrypto, "createHmac"), vi.spyOn(nodeCrypto, "createDecipheriv")];
  const calls = (spies: typeof web | typeof native) => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
  try {
    await work();
    return { web: calls(web), native: calls(native), total: calls(web) + calls(native) };
  } finally {
    for (const spy of [...web, ...native]) spy.mockRestore();
  }
}
