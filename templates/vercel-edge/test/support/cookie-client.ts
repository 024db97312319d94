/**
 * A tiny HTTP client that keeps cookies like a browser (name -> value, no
 * domains or paths: one origin only) and never follows redirects, so the
 * tests see every 303 and Set-Cookie.
 */
export interface SetCookie {
  name: string;
  value: string;
  /** `true` when the header deletes the cookie (Max-Age=0 or an Expires in the past). */
  cleared: boolean;
}

export class CookieClient {
  readonly jar = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request("GET", path, undefined, headers);
  }

  /** A form post as a same-origin browser page sends it. */
  post(path: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.request("POST", path, new URLSearchParams(fields), {
      origin: this.baseUrl,
      "sec-fetch-site": "same-origin",
      ...headers,
    });
  }

  async request(method: string, path: string, body: URLSearchParams | undefined, headers: Record<string, string>): Promise<Response> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      body,
      redirect: "manual",
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      signal: AbortSignal.timeout(30_000),
    });
    for (const set of setCookies(response)) {
      if (set.cleared) this.jar.delete(set.name);
      else this.jar.set(set.name, set.value);
    }
    return response;
  }
}

export function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map((header) => {
    const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
    const separator = pair.indexOf("=");
    const maxAge = attributes.find((attribute) => /^max-age=/i.test(attribute));
    const expires = attributes.find((attribute) => /^expires=/i.test(attribute));
    const cleared =
      (maxAge !== undefined && Number(maxAge.slice("max-age=".length)) <= 0) ||
      (expires !== undefined && Date.parse(expires.slice("expires=".length)) <= Date.now());
    return { name: pair.slice(0, separator), value: pair.slice(separator + 1), cleared };
  });
}

export function setCookie(response: Response, name: string): SetCookie | undefined {
  return setCookies(response).find((cookie) => cookie.name === name);
}
