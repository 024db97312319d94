/**
 * Behind a reverse proxy that terminates TLS (Fly.io, Render, Railway,
 * Heroku, nginx, a load balancer), the app sees plain http from the proxy's
 * address. TRUST_PROXY=1 tells it to believe the proxy's X-Forwarded-*
 * headers instead: the scheme (so the login cookie becomes
 * `__Host-session` and Secure) and the client's address (for login
 * throttling). Without it those headers are ignored, because anyone can
 * send them.
 *
 * The client's address is the right-most X-Forwarded-For entry: the one
 * the proxy itself added. Entries to its left come from the client and may
 * be made up.
 */
import type { RequestContext } from "@hattip/compose";
import type { NodePlatformInfo } from "@hattip/adapter-node";

export class TrustProxyError extends Error {
  override name = "TrustProxyError";
}

export interface ProxySettings {
  trustProxy: boolean;
  clientAddress(ctx: RequestContext): string;
}

export function proxySettings(value: string | undefined): ProxySettings {
  if (value === undefined || value === "" || value === "0" || value === "false") {
    return { trustProxy: false, clientAddress: socketAddress };
  }
  if (value !== "1" && value !== "true") {
    throw new TrustProxyError(`TRUST_PROXY must be 1 (behind a proxy that sets X-Forwarded-*) or 0 (got "${value.slice(0, 20)}").`);
  }
  return {
    trustProxy: true,
    clientAddress(ctx) {
      const forwarded = ctx.request.headers.get("x-forwarded-for");
      const last = forwarded
        ?.split(",")
        .map((entry) => entry.trim())
        .filter(Boolean)
        .at(-1);
      return last ?? socketAddress(ctx);
    },
  };
}

function socketAddress(ctx: RequestContext): string {
  const platform = ctx.platform as NodePlatformInfo | undefined;
  return platform?.request.socket?.remoteAddress ?? (ctx.ip || "unknown");
}
