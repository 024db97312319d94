/**
 * Runs the worker in workerd through Miniflare, the simulator that
 * `wrangler dev` uses, configured from wrangler.toml (entry point,
 * compatibility date, KV bindings) with in-memory KV. The bundle is made by
 * esbuild the way wrangler would; nothing is fetched or written to disk.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";

export interface RunningApp {
  url: string;
  /** Every value in the SESSIONS namespace, read straight from KV. */
  storedSessions(): Promise<string[]>;
  stop(): Promise<void>;
}

const wranglerToml = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));

export async function startApp(): Promise<RunningApp> {
  const config = unstable_readConfig({ config: wranglerToml });
  if (!config.main) throw new Error("wrangler.toml names no `main` entry point");
  const bundle = await build({
    entryPoints: [config.main],
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
    compatibilityDate: config.compatibility_date,
    kvNamespaces: config.kv_namespaces.map((namespace: { binding: string }) => namespace.binding),
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
