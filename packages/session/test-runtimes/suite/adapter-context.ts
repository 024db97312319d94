/**
 * The context a Hattip platform adapter hands to the app: built here the
 * way @hattip/adapter-cloudflare-workers builds it, so the middleware runs
 * exactly as behind a real adapter, minus the socket.
 */
import type { AdapterRequestContext, HattipHandler } from "@hattip/core";

export interface Platform {
  name: string;
  /** Bindings and variables, as a Workers adapter exposes them. */
  env?: Record<string, unknown>;
}

export function adapterContext(request: Request, platform: Platform): AdapterRequestContext<Platform> {
  const pending: Promise<unknown>[] = [];
  return {
    request,
    ip: "127.0.0.1",
    platform,
    env(variable) {
      const value = platform.env?.[variable];
      return typeof value === "string" ? value : undefined;
    },
    passThrough() {},
    waitUntil(promise) {
      pending.push(promise);
    },
  };
}

export interface SetCookie {
  value: string;
  attributes: Record<string, string>;
}

export interface Exchange {
  status: number;
  body: string;
  /** The Set-Cookie headers of the response, by cookie name. */
  setCookies: Map<string, SetCookie>;
}

/**
 * Sends one request through a composed handler with the given cookies
 * (raw, as a browser sends back what it received) and reads the answer.
 */
export async function exchange(
  handler: HattipHandler<Platform>,
  platform: Platform,
  method: string,
  path: string,
  cookies: Record<string, string> = {},
): Promise<Exchange> {
  const cookieHeader = Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
  const request = new Request(new URL(path, "http://app.test"), {
    method,
    headers: cookieHeader ? { cookie: cookieHeader } : {},
  });
  const response = await handler(adapterContext(request, platform));
  return { status: response.status, body: await response.text(), setCookies: parseSetCookies(response.headers) };
}

function parseSetCookies(headers: Headers): Map<string, SetCookie> {
  const parsed = new Map<string, SetCookie>();
  for (const line of headers.getSetCookie()) {
    const [pair = "", ...attributeParts] = line.split(";");
    const equals = pair.indexOf("=");
    const attributes: Record<string, string> = {};
    for (const part of attributeParts) {
      const [key = "", ...rest] = part.trim().split("=");
      attributes[key.toLowerCase()] = rest.join("=");
    }
    parsed.set(pair.slice(0, equals).trim(), { value: pair.slice(equals + 1).trim(), attributes });
  }
  return parsed;
}
