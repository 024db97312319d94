/**
 * Responses such as `Response.redirect()` or a `fetch()` result have
 * immutable headers, and the cookie middleware appends Set-Cookie to what
 * we return. Copy such a response (the body is streamed, not read) so that
 * writing a session never turns a redirect into a 500.
 */
export function withMutableHeaders(response: Response): Response {
  try {
    // Fetch throws on any change to immutable headers, even deleting an absent one.
    response.headers.delete("x-hattip-session-probe");
    return response;
  } catch {
    return new Response(response.body, response);
  }
}
