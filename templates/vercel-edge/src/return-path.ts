/**
 * Where to send the browser back to after a form post: the path of the
 * page that posted it, if that page is on this site. Only a path that
 * starts with one `/` qualifies: `//evil.example/x` or `/\evil.example`
 * would be read by a browser as another host.
 */
export function safeReturnPath(referrer: string | null, origin: string): string | undefined {
  if (!referrer || !URL.canParse(referrer)) return undefined;
  const url = new URL(referrer);
  if (url.origin !== origin) return undefined;
  const path = url.pathname + url.search;
  return /^\/(?![/\\])/.test(path) ? path : undefined;
}
