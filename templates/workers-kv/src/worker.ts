/**
 * The Cloudflare Workers entry: login sessions live in Workers KV, bound
 * as SESSIONS in wrangler.toml.
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { UnsafeMemoryStore } from "hattip-session";
import { createApp } from "./app.js";
import { parseLoginSession } from "./session-data.js";

const handler = createApp({
  loginStore: new UnsafeMemoryStore({ serializationOptions: { parse: parseLoginSession } }),
});

export default { fetch: cloudflareWorkersAdapter(handler) };
