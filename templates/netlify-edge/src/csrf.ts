/**
 * CSRF protection without tokens: a form post is accepted only when the
 * browser says it came from this origin. Browsers mark every request with
 * `Sec-Fetch-Site`, and older ones still send `Origin` on every POST; a
 * page on another site can forge neither. Clients that send neither (curl,
 * server-to-server calls) carry no victim's cookies, so they pass.
 */
import type { RequestContext } from "@hattip/compose";
import { errorPage } from "./page.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** `none`: the user started the request themselves (address bar, bookmark). */
const TRUSTED_FETCH_SITES = new Set(["same-origin", "none"]);

export function isCrossSiteRequest(ctx: RequestContext): boolean {
  if (SAFE_METHODS.has(ctx.method)) return false;
  const fetchSite = ctx.request.headers.get("sec-fetch-site");
  if (fetchSite !== null) return !TRUSTED_FETCH_SITES.has(fetchSite);
  const origin = ctx.request.headers.get("origin");
  return origin !== null && origin !== ctx.url.origin;
}

/** Middleware: refuses a cross-site state-changing request with 403 before any session is touched. */
export function rejectCrossSiteRequests(ctx: RequestContext): Response | undefined {
  if (isCrossSiteRequest(ctx)) {
    return errorPage(403, "Cross-site form submissions are refused. Submit the form from this site.");
  }
  return undefined;
}
