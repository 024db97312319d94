/**
 * Vitest global setup: the tests' temporary files (Miniflare's storage
 * folders among them, which it removes only in the background) go to one
 * folder of their own, deleted when the run ends, so nothing is left in
 * the system's temp directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function useOwnTempDir(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "workers-kv-tests-"));
  const previous = { TMPDIR: process.env.TMPDIR, TEMP: process.env.TEMP, TMP: process.env.TMP };
  process.env.TMPDIR = process.env.TEMP = process.env.TMP = dir;
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
}
