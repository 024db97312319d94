/**
 * Reads an HTML form post (application/x-www-form-urlencoded) into plain
 * fields for a schema to check. The body is read through a byte counter:
 * the moment it passes the limit the read stops and the request is refused
 * with 413, whatever `Content-Length` says or leaves out, so a huge or
 * endless upload costs a few KiB of memory, not its size.
 */
import type { RequestContext } from "@hattip/compose";

/** Far more than a login or theme form needs. */
export const MAX_FORM_BYTES = 8 * 1024;

/** The body is over `MAX_FORM_BYTES`: the app answers 413. */
export class FormTooLargeError extends Error {
  override name = "FormTooLargeError";
  constructor() {
    super(`The form is larger than ${MAX_FORM_BYTES} bytes.`);
  }
}

/** The fields of a form post, or `null` when the request is not one. Throws `FormTooLargeError`. */
export async function readForm(ctx: RequestContext): Promise<Record<string, string> | null> {
  const type = ctx.request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return null;
  const declared = ctx.request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_FORM_BYTES) throw new FormTooLargeError();
  const body = await readAtMost(ctx.request.body, MAX_FORM_BYTES);
  return Object.fromEntries(new URLSearchParams(new TextDecoder().decode(body)));
}

async function readAtMost(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      // Stop reading, but do not cancel: on Node, cancelling the body resets the connection before
      // the 413 can be sent. The rest stays unread (the server's buffers fill and it stops taking
      // more), the client sees the 413 and stops sending.
      if (total > limit) throw new FormTooLargeError();
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
