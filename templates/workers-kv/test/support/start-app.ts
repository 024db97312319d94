/**
 * Runs the worker in workerd through Miniflare, the simulator inside
 * `wrangler dev`, configured from wrangler.jsonc by wrangler's own reader
 * (entry point, compatibility date, KV namespaces, Durable Objects and
 * which of them use SQLite), KV in memory, Durable Objects in a temp folder. esbuild bundles the worker as wrangler does; nothing
 * is fetched or written to disk.
 */
import { activityKeys } from "../../src/activity.js";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";

export interface RunningApp {
  url: string;
  /**
   * Every value in the SESSIONS namespace, read straight from KV; or, where
   * SESSIONS is a Durable Object binding, the objects that hold sessions
   * (their SQLite files).
   */
  storedSessions(): Promise<string[]>;
  /** What the LOGIN_ATTEMPTS object named for `user`'s activity holds, read straight from it. */
  storedActivity(user: string): Promise<unknown[]>;
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

/** The store's user tag key in every test run: what a deploy sets as SESSION_TAG_SECRET (32 characters or more). */
export const TEST_TAG_SECRET = "test-only-session-tag-secret-0123456789";
/** The session cache's key where the app turns it on (the Durable Objects app): 32 bytes, base64url. */
export const TEST_CACHE_KEYS = "dGVzdC1vbmx5LXNlc3Npb24tY2FjaGUta2V5LTAxMjM";

export async function startApp({ mode = "development", env = {} }: StartOptions = {}): Promise<RunningApp> {
  const config = unstable_readConfig({ config: wranglerConfig });
  const { script } = await bundleWorker();
  // As on Cloudflare: the classes a migration created with SQLite storage get it.
  const sqliteClasses = new Set(config.migrations.flatMap((migration: { new_sqlite_classes?: string[] }) => migration.new_sqlite_classes ?? []));
  const objectsDir = await mkdtemp(join(tmpdir(), "workers-kv-objects-"));
  const bindings = {
    SESSION_TAG_SECRET: TEST_TAG_SECRET,
    SESSION_CACHE_KEYS: TEST_CACHE_KEYS,
    ...(mode === "development" ? { ALLOW_DEMO_USER: "1" } : {}),
    ...env,
  };
  const miniflare = new Miniflare({
    modules: true,
    script,
    compatibilityDate: config.compatibility_date,
    kvNamespaces: config.kv_namespaces.map((namespace: { binding: string }) => namespace.binding),
    durableObjects: Object.fromEntries(
      config.durable_objects.bindings.map((binding: { name: string; class_name: string }) => [
        binding.name,
        { className: binding.class_name, useSQLite: sqliteClasses.has(binding.class_name) },
      ]),
    ),
    // On disk, in the tests' own temp folder, so that the tests can count the objects that hold sessions.
    durableObjectsPersist: objectsDir,
    bindings,
    host: "127.0.0.1",
    port: 0,
    // The placeholder `request.cf`: the real one would be fetched from Cloudflare.
    cf: false,
  });
  const url = await miniflare.ready;
  const sessionsInKv = config.kv_namespaces.some((namespace: { binding: string }) => namespace.binding === "SESSIONS");
  const storedSessions = async () => {
    // The Durable Objects variant: one object per session, each with its own SQLite file.
    if (!sessionsInKv) return (await listFiles(objectsDir)).filter((file) => /SessionDurableObject\/[0-9a-f]{64}\.sqlite$/.test(file));
    const namespace = await miniflare.getKVNamespace("SESSIONS");
    const { keys } = await namespace.list();
    const values = await Promise.all(keys.map(({ name }) => namespace.get(name)));
    return values.filter((value): value is string => value !== null);
  };
  const activityKeyOf = activityKeys(bindings.SESSION_TAG_SECRET);
  const storedActivity = async (user: string) => {
    const namespace = await miniflare.getDurableObjectNamespace("LOGIN_ATTEMPTS");
    const log = namespace.get(namespace.idFromName(`activity:${await activityKeyOf(user)}`)) as unknown as {
      recentActivity(limit: number): Promise<unknown[]>;
    };
    return log.recentActivity(1_000);
  };
  return {
    url: url.origin,
    storedSessions,
    storedActivity,
    async stop() {
      await miniflare.dispose();
      await rm(objectsDir, { recursive: true, force: true });
    },
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}
