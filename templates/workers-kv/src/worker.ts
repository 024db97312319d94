/**
 * The Cloudflare Workers entry: login sessions live in Workers KV, bound
 * as SESSIONS in wrangler.toml.
 */
import cloudflareWorkersAdapter, { type CloudflareWorkersPlatformInfo } from "@hattip/adapter-cloudflare-workers/no-static";
import { KvSessionStore } from "hattip-session";
import { createApp } from "./app.js";
import { parseLoginSession } from "./session-data.js";

/** The bindings declared in wrangler.toml. */
export interface Env {
  SESSIONS: KVNamespace;
}

const handler = createApp({
  loginStore: new KvSessionStore({
    getStore: (ctx) => ((ctx.platform as CloudflareWorkersPlatformInfo).env as Env).SESSIONS,
    serializationOptions: { parse: parseLoginSession },
  }),
});

export default { fetch: cloudflareWorkersAdapter(handler) };
