/**
 * Runs the Edge Function locally in Vercel's own `edge-runtime` (the same
 * sandbox of Web APIs as the deployed function, no Node globals): esbuild
 * bundles api/index.ts the way Vercel does, and the runtime serves it.
 * Used by `npm run dev` and by the tests.
 */
import { build } from "esbuild";
import { EdgeRuntime, runServer } from "edge-runtime";
import { fileURLToPath } from "node:url";

const TEMPLATE_DIR = fileURLToPath(new URL("..", import.meta.url));

export interface EdgeServer {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** The function as one script for the runtime: it registers a fetch listener that calls the default export. */
export async function bundleEdgeFunction(): Promise<string> {
  const result = await build({
    entryPoints: [`${TEMPLATE_DIR}api/index.ts`],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "edgeFunction",
    platform: "browser",
    conditions: ["edge-light", "worker", "browser"],
    target: "es2022",
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  return `${code}\naddEventListener("fetch", (event) => event.respondWith(edgeFunction.default(event.request, event)));`;
}

/** `env` is what the function sees as process.env, as on Vercel. `port` 0: the OS picks. */
export async function startEdgeServer({ env, port = 0, host = "127.0.0.1" }: { env: Record<string, string>; port?: number; host?: string }): Promise<EdgeServer> {
  const runtime = new EdgeRuntime({
    initialCode: await bundleEdgeFunction(),
    extend: (context) => Object.assign(context, { process: { env: { ...env } } }),
  });
  const server = await runServer({ runtime, port, host });
  return { url: server.url.replace(/\/$/, ""), close: () => server.close() };
}
