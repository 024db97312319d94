/**
 * Local stand-in for Netlify's edge: serves the edge function with
 * `Deno.serve` and hands it a minimal Netlify context. Netlify's own
 * tooling downloads its runtime bootstrap at start, which this offline
 * run cannot do; the function itself is the same file Netlify deploys.
 */
import edgeFunction from "../netlify/edge-functions/app.ts";
import type { NetlifyContext } from "@hattip/adapter-netlify-edge";

const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? "8888");

Deno.serve(
  {
    hostname,
    port,
    onListen: (address) => console.log(`Listening on http://${address.hostname}:${address.port}/`),
  },
  async (request, info) => {
    const response = await edgeFunction(request, localContext(info.remoteAddr.hostname));
    // A function that passes through leaves the request to the static site, which is empty here.
    return response ?? new Response("Not found", { status: 404 });
  },
);

function localContext(ip: string): NetlifyContext {
  const notFound = () => Promise.resolve(new Response("Not found", { status: 404 }));
  return {
    ip,
    geo: {},
    cookies: {
      get: () => ({}),
      set: () => {},
      delete: () => {},
    },
    json: (input, init) => Response.json(input, init),
    log: (...data) => console.log(...data),
    next: notFound,
    rewrite: notFound,
  };
}
