/**
 * Runs the worker in workerd through Miniflare, the simulator that
 * `wrangler dev` uses, with an in-memory KV namespace bound as SESSIONS.
 * The bundle is made by esbuild the way wrangler would, so nothing is
 * fetched and nothing is written to disk.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

export interface RunningApp {
  url: string;
  /** Every value in the SESSIONS namespace, read straight from KV. */
  storedSessions(): Promise<string[]>;
  stop(): Promise<void>;
}

const workerEntry = fileURLToPath(new URL("../../src/worker.ts", import.meta.url));

export async function startApp(): Promise<RunningApp> {
  const bundle = await build({
    entryPoints: [workerEntry],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0]?.text;
  if (!script) throw new Error("esbuild produced no worker bundle");
  const miniflare = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2026-04-01",
    kvNamespaces: ["SESSIONS"],
    host: "127.0.0.1",
    port: 0,
    // The placeholder `request.cf`: the real one would be fetched from Cloudflare.
    cf: false,
  });
  const url = await miniflare.ready;
  const storedSessions = async () => {
    const namespace = await miniflare.getKVNamespace("SESSIONS");
    const { keys } = await namespace.list();
    const values = await Promise.all(keys.map(({ name }) => namespace.get(name)));
    return values.filter((value): value is string => value !== null);
  };
  return { url: url.origin, storedSessions, stop: () => miniflare.dispose() };
}
