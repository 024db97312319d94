/**
 * Reads an HTML form post (application/x-www-form-urlencoded) into an
 * object a zod schema can check. Anything else, or a body too large for a
 * login form, gives `null`.
 */
import type { RequestContext } from "@hattip/compose";

const MAX_FORM_BYTES = 8 * 1024;

export async function readForm(ctx: RequestContext): Promise<Record<string, string> | null> {
  const type = ctx.request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return null;
  const declaredLength = Number(ctx.request.headers.get("content-length") ?? 0);
  if (declaredLength > MAX_FORM_BYTES) return null;
  const body = await ctx.request.text();
  if (body.length > MAX_FORM_BYTES) return null;
  return Object.fromEntries(new URLSearchParams(body));
}
