/**
 * Runs the worker in workerd through Miniflare, the simulator inside
 * `wrangler dev`, configured from wrangler.jsonc by wrangler's own reader
 * (entry point, compatibility date, KV namespaces, Durable Objects), with
 * in-memory storage. esbuild bundles the worker as wrangler does; nothing
 * is fetched or written to disk.
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

export interface StartOptions {
  /** `development` is `npm run dev`, which sets ALLOW_DEMO_USER=1. */
  mode?: "development" | "production";
  /** More variables and secrets for the worker (USERS, ...). */
  env?: Record<string, string>;
}

const wranglerConfig = fileURLToPath(new URL("../../wrangler.jsonc", import.meta.url));

/** The worker as wrangler would upload it: one ES module, `cloudflare:` imports left to workerd. */
export async function bundleWorker(options: { minify?: boolean } = {}): Promise<{ main: string; script: string }> {
  const config = unstable_readConfig({ config: wranglerConfig });
  if (!config.main) throw new Error("wrangler.jsonc names no `main` entry point");
  const bundle = await build({
    entryPoints: [config.main],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    target: "es2022",
    minify: options.minify ?? false,
    write: false,
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0]?.text;
  if (!script) throw new Error("esbuild produced no worker bundle");
  return { main: config.main, script };
}

export async function startApp({ mode = "development", env = {} }: StartOptions = {}): Promise<RunningApp> {
  const config = unstable_readConfig({ config: wranglerConfig });
  const { script } = await bundleWorker();
  const bindings = { ...(mode === "development" ? { ALLOW_DEMO_USER: "1" } : {}), ...env };
  const miniflare = new Miniflare({
    modules: true,
    script,
    compatibilityDate: config.compatibility_date,
    kvNamespaces: config.kv_namespaces.map((namespace: { binding: string }) => namespace.binding),
    durableObjects: Object.fromEntries(
      config.durable_objects.bindings.map((binding: { name: string; class_name: string }) => [binding.name, binding.class_name]),
    ),
    bindings,
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
