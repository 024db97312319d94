/**
 * Entry for workerd: a Worker whose fetch handler runs the suite, with the
 * platform a Hattip Workers adapter exposes (env holds the KV binding).
 */
import { runSuite, type StoreSubject } from "../suite/index.js";

interface Env {
  SESSIONS: unknown;
}

function kvStores(): StoreSubject[] {
  return [];
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const report = await runSuite({
      platform: { name: "cloudflare-workers", env: env as unknown as Record<string, unknown> },
      platformStores: kvStores(),
    });
    return Response.json(report);
  },
};
