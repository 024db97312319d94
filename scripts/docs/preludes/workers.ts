/**
 * `prelude=workers`: `Env`, the type of a Worker's bindings that `wrangler types` generates from
 * wrangler.jsonc, with a KV namespace and a Durable Object namespace bound as the docs bind them.
 */
import type { DurableObjectNamespaceLike, KvNamespaceLike } from "hattip-session";

export interface Env {
  SESSIONS: KvNamespaceLike & DurableObjectNamespaceLike;
}
