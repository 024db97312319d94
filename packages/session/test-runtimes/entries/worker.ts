/**
 * Entry for workerd: a Worker whose fetch handler runs the suite, with the
 * platform a Hattip Workers adapter exposes (env holds the KV binding).
 */
import type { RequestContext } from "@hattip/compose";
import * as hattipSession from "hattip-session";
import type { SessionStore } from "hattip-session";
import { runSuite, type Data, type StoreSubject } from "../suite/index.js";

interface Env {
  SESSIONS: unknown;
}

/** The constructor @hattip/session documents for KvSessionStore. */
type KvSessionStoreClass = new (options: { getStore: (ctx: RequestContext) => unknown }) => SessionStore<Data>;

/**
 * KvSessionStore joins the suite, on the real KV binding, as soon as the
 * build exports it; the report says whether it was there.
 */
function kvStores(): StoreSubject[] {
  const KvSessionStore = (hattipSession as Record<string, unknown>)["KvSessionStore"] as KvSessionStoreClass | undefined;
  if (!KvSessionStore) return [];
  return [
    {
      name: "KvSessionStore",
      make: async () =>
        new KvSessionStore({ getStore: (ctx) => (ctx.platform as { env: Env }).env.SESSIONS }),
      revocable: true,
      enforcesExpiry: true,
    },
  ];
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const platformStores = kvStores();
    const report = await runSuite({
      platform: { name: "cloudflare-workers", env: env as unknown as Record<string, unknown> },
      platformStores,
    });
    report.environment["platformStores"] = platformStores.map((store) => store.name).join(", ") || "none";
    return Response.json(report);
  },
};
