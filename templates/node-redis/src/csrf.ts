/**
 * CSRF protection without tokens: a state-changing request is accepted only
 * when the browser says it came from this origin. Every current browser
 * sends `Sec-Fetch-Site` on every request, and `Origin` on every POST; a
 * page on another site can forge neither.
 *
 * - `Sec-Fetch-Site` must be `same-origin`. `none` (typed in the address
 *   bar, a bookmark) is how a user starts a GET, never a form post, so a
 *   POST carrying it is refused like a cross-site one.
 * - Without `Sec-Fetch-Site`, `Origin` must be this origin.
 * - Without either, the client is not a browser of this decade: a script or
 *   curl. It is let through only when it carries no cookie, because then it
 *   can act for nobody but itself.
 */
import type { RequestContext } from "@hattip/compose";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isCrossSiteRequest(ctx: RequestContext): boolean {
  if (SAFE_METHODS.has(ctx.method)) return false;
  const headers = ctx.request.headers;
  const fetchSite = headers.get("sec-fetch-site");
  if (fetchSite !== null) return fetchSite !== "same-origin";
  const origin = headers.get("origin");
  if (origin !== null) return origin !== ctx.url.origin;
  return headers.has("cookie");
}
