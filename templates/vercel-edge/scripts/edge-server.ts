/**
 * Runs the Edge Function locally in Vercel's own `edge-runtime` (the same
 * sandbox of Web APIs as the deployed function, no Node globals): esbuild
 * bundles api/index.ts the way Vercel does, and the runtime answers every
 * request that is not a file in public/, as Vercel serves them first.
 * Like Vercel's edge, it sets X-Forwarded-For to the address the request
 * came from, whatever the client sent. Used by `npm run dev` and the tests.
 */
import { build } from "esbuild";
import { createHandler, EdgeRuntime } from "edge-runtime";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TEMPLATE_DIR = fileURLToPath(new URL("..", import.meta.url));
const PUBLIC_DIR = join(TEMPLATE_DIR, "public");

const CONTENT_TYPES: Record<string, string> = {
  ".txt": "text/plain; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
};

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

/** A server (not yet listening) that answers as the deployed project would. `env` is the function's process.env. */
export async function createEdgeServer(env: Record<string, string>): Promise<Server> {
  const runtime = new EdgeRuntime({
    initialCode: await bundleEdgeFunction(),
    extend: (context) => Object.assign(context, { process: { env: { ...env } } }),
  });
  const { handler } = createHandler({ runtime });
  return createServer((request, response) => {
    void serveStatic(request, response)
      .then((served) => {
        if (served) return;
        request.headers["x-forwarded-for"] = request.socket.remoteAddress ?? "";
        return handler(request, response);
      })
      .catch((error: unknown) => {
        console.error(error);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
  });
}

/** A GET or HEAD for a file under public/, served as Vercel serves it; `false` when there is none. */
async function serveStatic(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  let path: string;
  try {
    path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
  } catch {
    return false;
  }
  const file = normalize(join(PUBLIC_DIR, path));
  if (!file.startsWith(PUBLIC_DIR + sep)) return false;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return false;
  response.writeHead(200, {
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
  });
  if (request.method === "HEAD") response.end();
  else createReadStream(file).pipe(response);
  return true;
}

export interface EdgeServer {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** For the tests: the server on `host`, on a port the OS picks. */
export async function startEdgeServer({ env, host = "127.0.0.1" }: { env: Record<string, string>; host?: string }): Promise<EdgeServer> {
  const server = await createEdgeServer(env);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
