/**
 * A fetch client that keeps cookies the way a browser does for one origin:
 * it stores what Set-Cookie says (honouring Max-Age=0 as a deletion) and
 * sends it back. Tests read the raw Set-Cookie headers too.
 */
export interface ClientResponse {
  status: number;
  body: string;
  headers: Headers;
  setCookies: string[];
}

export class CookieClient {
  readonly jar = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<ClientResponse> {
    const headers = new Headers(init.headers);
    if (this.jar.size > 0 && !headers.has("cookie")) {
      headers.set("cookie", [...this.jar].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await fetch(this.baseUrl + path, { ...init, headers, redirect: "manual" });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#remember(line);
    return { status: response.status, body: await response.text(), headers: response.headers, setCookies };
  }

  get(path: string, init?: RequestInit) {
    return this.request(path, init);
  }

  post(path: string, init?: RequestInit) {
    return this.request(path, { ...init, method: "POST" });
  }

  #remember(line: string) {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const maxAge = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith("max-age="));
    if (maxAge !== undefined && Number(maxAge.slice("max-age=".length)) <= 0) this.jar.delete(name);
    else this.jar.set(name, value);
  }
}

/** The attributes of one Set-Cookie line, lower-cased names. */
export function parseSetCookie(line: string) {
  const [pair = "", ...rest] = line.split(";");
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const [key = "", ...value] = attribute.trim().split("=");
    attributes.set(key.toLowerCase(), value.join("="));
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}
