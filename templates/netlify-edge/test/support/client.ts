/**
 * A small HTTP client that keeps cookies like a browser would (one origin,
 * no expiry clock beyond Max-Age=0) so that tests can follow the app's flow
 * over real HTTP and still read or forge individual cookies.
 */
export class CookieClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, { method: "GET", headers });
  }

  /** A same-origin form post, as a browser sends it. */
  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { origin: new URL(this.baseUrl).origin, "sec-fetch-site": "same-origin", ...headers },
    });
  }

  async send(path: string, init: { method: string; headers: Record<string, string>; body?: URLSearchParams }): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    const response = await fetch(new URL(path, this.baseUrl), {
      method: init.method,
      headers,
      body: init.body,
      redirect: "manual",
      signal: AbortSignal.timeout(30_000),
    });
    this.remember(response);
    return response;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = "", raw = ""] = attribute.split("=");
        const lowered = key.trim().toLowerCase();
        if (lowered === "max-age") return Number(raw) <= 0;
        if (lowered === "expires") return Date.parse(raw) <= Date.now();
        return false;
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** The names of the cookies a response sets (or clears). */
export function setCookieNames(response: Response): string[] {
  return response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf("=")).trim());
}

/** Signs in as the demo user (on in development, and in the tests' app). */
export function logIn(client: CookieClient): Promise<Response> {
  return client.post("/login", { username: "demo", password: "demo-password" });
}
