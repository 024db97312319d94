/**
 * A Worker of the benchmarks in workerd, through Miniflare: bundled with
 * esbuild as Cloudflare's tooling would (the workerd conditions), served
 * from a temp folder of its own, which dispose() removes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";

export interface RunningWorker {
  readonly mf: Miniflare;
  /** The folder the bundle lives in, for the Worker's persisted storage too. */
  readonly dir: string;
  /** Stops workerd (its storage is flushed to `dir`); idempotent. */
  stop(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Bundles `entry` and starts it with `bindings` (KV namespaces, Durable Objects, storage folders). */
export async function startWorker(entry: string, bindings: (dir: string) => Partial<MiniflareOptions>): Promise<RunningWorker> {
  const dir = await mkdtemp(join(tmpdir(), "hattip-session-bench-worker-"));
  let mf: Miniflare | undefined;
  const stop = async () => {
    const running = mf;
    mf = undefined;
    await running?.dispose();
  };
  const dispose = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const scriptPath = join(dir, "worker.js");
    await build({
      entryPoints: [entry],
      outfile: scriptPath,
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker", "browser"],
      target: "es2022",
      logLevel: "silent",
    });
    mf = new Miniflare({
      ...bindings(dir),
      modules: true,
      scriptPath,
      // Module names are taken relative to this; the default (cwd) cannot reach a temp folder.
      modulesRoot: dir,
      compatibilityDate: "2025-06-01",
      host: "127.0.0.1",
      port: 0,
    } as MiniflareOptions);
    await mf.ready;
    return { mf, dir, stop, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
