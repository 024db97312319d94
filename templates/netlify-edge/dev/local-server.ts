/**
 * Local stand-in for Netlify's edge: serves the edge function with
 * `Deno.serve` and hands it a minimal Netlify context whose `next()`
 * serves public/ as Netlify's static hosting would. Netlify's own tooling
 * downloads its runtime bootstrap at start, which this offline run cannot
 * do; the function itself is the same file Netlify deploys.
 */
import edgeFunction from "../netlify/edge-functions/app.ts";
import type { NetlifyContext } from "@hattip/adapter-netlify-edge";

const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? "8888");
/** PUBLIC_DIR (set by scripts/dev.ts and the tests, whose bundle lives elsewhere), else public/ beside dev/. */
const publicDir = Deno.env.get("PUBLIC_DIR")
  ? new URL(`file://${Deno.env.get("PUBLIC_DIR")!.replace(/\/?$/, "/")}`)
  : new URL("../public/", import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
};

Deno.serve(
  {
    hostname,
    port,
    onListen: (address) => console.log(`Listening on http://${address.hostname}:${address.port}/`),
  },
  async (request, info) => {
    const response = await edgeFunction(request, localContext(request, info.remoteAddr.hostname));
    // A function that passes through leaves the request to the static site.
    return response ?? (await staticFile(request));
  },
);

function localContext(request: Request, ip: string): NetlifyContext {
  const next = () => staticFile(request);
  return {
    ip,
    geo: {},
    cookies: { get: () => ({}), set: () => {}, delete: () => {} },
    json: (input, init) => Response.json(input, init),
    log: (...data) => console.log(...data),
    next,
    rewrite: next,
  };
}

/** The file under public/ that the request names, or a 404. */
async function staticFile(request: Request): Promise<Response> {
  const path = decodeURIComponent(new URL(request.url).pathname);
  if (path.split("/").includes("..") || path.endsWith("/")) return new Response("Not found", { status: 404 });
  try {
    const body = await Deno.readFile(new URL(`.${path}`, publicDir));
    const type = CONTENT_TYPES[path.slice(path.lastIndexOf(".") + 1)] ?? "application/octet-stream";
    return new Response(request.method === "HEAD" ? null : body, { headers: { "content-type": type } });
  } catch {
    return new Response("Not found", { status: 404 });
  }
}
