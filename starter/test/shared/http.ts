/**
 * A small HTTP client for the shared tests, on node:http so that a test can
 * do what fetch cannot: send from a chosen loopback address (127.0.0.x, a
 * real second client as far as the server can tell), stream an endless
 * chunked body, or declare a Content-Length it never sends. It keeps
 * cookies like a browser (one origin: name -> value) and never follows
 * redirects, so tests see every 303 and Set-Cookie.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { StarterHarness } from "./harness.js";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** `name=value` of each Set-Cookie, by name; "" when the cookie is cleared. */
  setCookies: Map<string, { value: string; cleared: boolean; attributes: string[] }>;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A form, sent url-encoded. */
  form?: Record<string, string>;
  /**
   * Raw chunks, sent with Transfer-Encoding: chunked; the send stops when the
   * reply arrives. `everyMs`: one chunk per that many milliseconds, like a
   * slow upload, instead of as fast as the server takes them.
   */
  chunks?: { size: number; total: number; everyMs?: number };
  /** Send these headers and no body at all (a Content-Length that lies). */
  bodyless?: boolean;
  timeoutMs?: number;
}

export interface StreamedReply extends Reply {
  /** Bytes of the chunked body written before the reply arrived. */
  bytesSent: number;
}

export class Client {
  readonly jar = new Map<string, string>();

  /**
   * `address`: the client address the app should see. Where the harness says
   * `socket`, requests leave from that loopback address; where it says
   * `x-forwarded-for`, the header carries it, as the platform's proxy would.
   */
  constructor(
    readonly baseUrl: string,
    readonly harness: Pick<StarterHarness, "addressing">,
    readonly address = "127.0.0.1",
  ) {}

  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send(path, { headers });
  }

  /** A form post as a same-origin browser page sends it. */
  post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send(path, {
      method: "POST",
      form,
      headers: { origin: new URL(this.baseUrl).origin, "sec-fetch-site": "same-origin", ...headers },
    });
  }

  send(path: string, options: SendOptions = {}): Promise<StreamedReply> {
    const url = new URL(path, this.baseUrl);
    // Keep-alive, as browsers send: a server may then answer an upload early without resetting the connection.
    const headers: Record<string, string> = { connection: "keep-alive", ...options.headers };
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
    if (cookie && headers.cookie === undefined) headers.cookie = cookie;
    if (this.harness.addressing === "x-forwarded-for") headers["x-forwarded-for"] ??= this.address;
    let body: Buffer | undefined;
    if (options.form) {
      body = Buffer.from(new URLSearchParams(options.form).toString());
      headers["content-type"] ??= "application/x-www-form-urlencoded";
      headers["content-length"] ??= String(body.length);
    }
    if (options.chunks) headers["content-type"] ??= "application/x-www-form-urlencoded";
    const localAddress = this.harness.addressing === "socket" ? this.address : undefined;

    return new Promise<StreamedReply>((resolve, reject) => {
      let bytesSent = 0;
      let replied = false;
      const request = httpRequest(url, { method: options.method ?? "GET", headers, localAddress, agent: false }, (response) => {
        replied = true;
        const sentBeforeReply = bytesSent;
        const parts: Buffer[] = [];
        response.on("data", (part: Buffer) => parts.push(part));
        response.on("error", reject);
        response.on("end", () => {
          const reply = toReply(response.statusCode ?? 0, response.headers, Buffer.concat(parts).toString("utf8"));
          for (const [name, set] of reply.setCookies) {
            if (set.cleared) this.jar.delete(name);
            else this.jar.set(name, set.value);
          }
          request.destroy();
          resolve({ ...reply, bytesSent: sentBeforeReply });
        });
      });
      request.setTimeout(options.timeoutMs ?? 30_000, () =>
        request.destroy(new Error(`No reply to ${url} within ${options.timeoutMs ?? 30_000} ms`)),
      );
      // Once the server has answered, a write that fails (it closed the connection) is expected.
      request.on("error", (error) => {
        if (!replied) reject(error);
      });
      if (options.chunks) {
        const { size, total, everyMs } = options.chunks;
        const chunk = Buffer.alloc(size, "a");
        const pump = () => {
          while (!replied && !request.destroyed && bytesSent < total) {
            bytesSent += chunk.length;
            const more = request.write(chunk);
            if (everyMs !== undefined) return void setTimeout(pump, everyMs);
            if (!more) return void request.once("drain", pump);
          }
          if (!replied && !request.destroyed) request.end();
        };
        pump();
      } else if (options.bodyless) {
        request.flushHeaders();
      } else {
        request.end(body);
      }
    });
  }
}

function toReply(status: number, headers: IncomingHttpHeaders, body: string): Reply {
  const setCookies: Reply["setCookies"] = new Map();
  for (const line of headers["set-cookie"] ?? []) {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const separator = pair.indexOf("=");
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    const maxAge = attributes.find((attribute) => /^max-age=/i.test(attribute));
    const expires = attributes.find((attribute) => /^expires=/i.test(attribute));
    const cleared =
      value === "" ||
      (maxAge !== undefined && Number(maxAge.slice("max-age=".length)) <= 0) ||
      (expires !== undefined && Date.parse(expires.slice("expires=".length)) <= Date.now());
    setCookies.set(name, { value, cleared, attributes });
  }
  return { status, headers, body, setCookies };
}

/** The login cookie over plain http. */
export const LOGIN_COOKIE = "session";
