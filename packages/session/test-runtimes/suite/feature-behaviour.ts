/**
 * The data features on the built package, in every runtime: logout wins
 * over regenerate, flash values, sudo mode, Standard Schema validation and
 * cookie chunking. Requests go through @hattip/compose and @hattip/cookie
 * as an adapter would send them; a small jar carries cookies between them.
 */
import { compose, type RequestContext } from "@hattip/compose";
import type { HattipHandler } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import {
  EncryptedCookieStore,
  session,
  SignedCookieStore,
  UnsignedCookieStore,
  type SessionOptions,
  type SessionStore,
  type StandardSchemaV1,
} from "hattip-session";
import { exchange, type Exchange, type Platform } from "./adapter-context.js";
import { assert, assertEqual, pause, type TestList } from "./harness.js";
import type { Data, StoreSubject } from "./store-contract.js";

/** Cookies as a browser keeps them: set by Set-Cookie, dropped by Max-Age=0. */
export class Jar {
  readonly cookies: Record<string, string> = {};

  take(answer: Exchange): Exchange {
    for (const [name, { value, attributes }] of answer.setCookies) {
      if (attributes["max-age"] === "0") delete this.cookies[name];
      else this.cookies[name] = value;
    }
    return answer;
  }
}

/** Where a request can be parked inside its handler, its session loaded, until the test releases it. */
let parked: { entered: () => void; release: Promise<void> } | undefined;

function featureApp(store: SessionStore<Data>, options: Partial<SessionOptions<Data>> = {}): HattipHandler<Platform> {
  return compose(
    (ctx) => {
      ctx.handleError = (error: unknown) => new Response(error instanceof Error ? error.name : String(error), { status: 500 });
    },
    cookie(),
    session({ ...options, store } as SessionOptions),
    async (ctx: RequestContext) => {
      const s = ctx.session as unknown as {
        data: Data;
        isFresh: boolean;
        regenerate(): Promise<void>;
        destroy(): Promise<void>;
        flash(key: string, value: unknown): void;
        getFlash(key: string): unknown;
        markAuthenticated(): void;
        authenticatedWithin(seconds: number): boolean;
      };
      const [, action = "", value = ""] = ctx.url.pathname.split("/");
      let result: unknown = null;
      if (action === "login") {
        await s.regenerate();
        s.data["user"] = value;
      }
      if (action === "parked-regenerate" && parked) {
        parked.entered();
        await parked.release;
        await s.regenerate();
      }
      if (action === "destroy") await s.destroy();
      if (action === "destroy-then-regenerate") {
        await s.destroy();
        await s.regenerate();
      }
      if (action === "flash") {
        s.flash("notice", value);
        result = s.getFlash("notice") ?? null;
      }
      if (action === "take") result = s.getFlash("notice") ?? null;
      if (action === "authenticate") s.markAuthenticated();
      if (action === "sudo") result = s.authenticatedWithin(Number(value));
      if (action === "fill") s.data["blob"] = "x".repeat(Number(value));
      return Response.json({ data: s.data, isFresh: s.isFresh, result });
    },
  ) as HattipHandler<Platform>;
}

const body = (answer: Exchange) => {
  assertEqual(answer.status, 200, `status (body: ${answer.body.slice(0, 120)})`);
  return JSON.parse(answer.body) as { data: Data; isFresh: boolean; result: unknown };
};

export function featureBehaviour(tests: TestList, subject: StoreSubject, platform: Platform): void {
  const it = (behaviour: string, run: (send: (path: string) => Promise<Exchange>, jar: Jar, handler: HattipHandler<Platform>) => Promise<void>) =>
    tests.test(`features with ${subject.name}: ${behaviour}`, async () => {
      const handler = featureApp(await subject.make());
      const jar = new Jar();
      await run(async (path) => jar.take(await exchange(handler, platform, "POST", path, jar.cookies)), jar, handler);
    });

  it("destroy() then regenerate() in one request ends logged out", async (send, jar, handler) => {
    await send("/login/ada");
    const loggedIn = { ...jar.cookies };
    const answer = await send("/destroy-then-regenerate");
    assertEqual(answer.setCookies.get("session")?.value, "", "the session cookie, cleared");
    assertEqual(Object.keys(jar.cookies), [], "cookies left");
    if (subject.revocable) {
      const replay = body(await exchange(handler, platform, "GET", "/read", loggedIn));
      assertEqual(replay.isFresh, true, "the old cookie after logout");
    }
  });

  if (subject.revocable) {
    it("a regenerate() in flight while another request logs out does not bring the session back", async (send, jar, handler) => {
      await send("/login/ada");
      const loggedIn = { ...jar.cookies };
      let release!: () => void;
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      parked = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
      try {
        const regenerating = exchange(handler, platform, "POST", "/parked-regenerate", loggedIn);
        await inside;
        await exchange(handler, platform, "POST", "/destroy", loggedIn);
        release();
        const late = await regenerating;
        const issued = [...late.setCookies.values()].filter((cookie) => cookie.value !== "");
        assertEqual(issued.length, 0, "session cookies issued by the late regenerate");
        assertEqual(body(await exchange(handler, platform, "GET", "/read", loggedIn)).isFresh, true, "the old ID after logout");
      } finally {
        parked = undefined;
      }
    });
  }

  it("a flash is invisible where it was set, read once on the next request", async (send) => {
    assertEqual(body(await send("/flash/Saved")).result, null, "read on the request that set it");
    assertEqual(body(await send("/take")).result, "Saved", "read on the next request");
    assertEqual(body(await send("/take")).result, null, "read again");
  });

  it("a request that neither flashes nor reads sends no cookie", async (send) => {
    await send("/flash/Waiting");
    assertEqual((await send("/read")).setCookies.size, 0, "Set-Cookie headers");
    assertEqual(body(await send("/take")).result, "Waiting", "the waiting value");
  });

  if (subject.name !== "UnsignedCookieStore") {
    it("sudo mode remembers when the user last proved who they are", async (send) => {
      await send("/login/ada");
      assertEqual(body(await send("/sudo/600")).result, false, "before any proof");
      await send("/authenticate");
      assertEqual(body(await send("/sudo/600")).result, true, "just after");
      await pause(300);
      assertEqual(body(await send("/sudo/0.2")).result, false, "older than 0.2 s");
    });
  }
}

/** A Standard Schema written out by hand: the runtimes suite needs no validation library. */
const Theme: StandardSchemaV1<unknown, { theme: "light" | "dark" }> = {
  "~standard": {
    version: 1,
    vendor: "runtimes-suite",
    async validate(value) {
      const theme = (value as { theme?: unknown } | null)?.theme;
      return theme === "light" || theme === "dark" ? { value: { theme } } : { issues: [{ message: "theme must be light or dark" }] };
    },
  },
};

export function cookieFeatureBehaviour(tests: TestList, platform: Platform): void {
  tests.test("cookie prefixes are matched without regard to case, as browsers do", async () => {
    let refused = false;
    try {
      session({ store: new UnsignedCookieStore(), cookieName: "__host-s", cookieOptions: { domain: "example.com" } });
    } catch (error) {
      refused = error instanceof Error && (error as { code?: string }).code === "ERR_SESSION_SETUP";
    }
    assert(refused, "a __host- cookie with a Domain is refused at setup with ERR_SESSION_SETUP");
  });

  tests.test("cookieOptions.expires is sent as Expires, with a Max-Age that agrees", async () => {
    const deadline = new Date(Date.now() + 3_600_000);
    const answer = await exchange(featureApp(new UnsignedCookieStore(), { cookieOptions: { expires: deadline } }), platform, "POST", "/fill/1");
    const attributes = answer.setCookies.get("session")?.attributes ?? {};
    assert(Math.abs(Date.parse(attributes["expires"] ?? "") - deadline.getTime()) < 1_000, `Expires: ${attributes["expires"]}`);
    assert(Math.abs(Number(attributes["max-age"]) - 3600) <= 2, `Max-Age: ${attributes["max-age"]}`);
  });

  const protectedStores = [
    { name: "SignedCookieStore", make: async () => new SignedCookieStore<Data>([await SignedCookieStore.generateKey()]) },
    { name: "EncryptedCookieStore", make: async () => new EncryptedCookieStore<Data>([await EncryptedCookieStore.generateKey()]) },
  ];
  for (const { name, make } of protectedStores) {
    tests.test(`${name} with chunking: a 7 KB session spans cookies, reads back, and a missing chunk is refused`, async () => {
      const handler = featureApp(await make(), { chunking: true });
      const jar = new Jar();
      jar.take(await exchange(handler, platform, "POST", "/fill/7000", jar.cookies));
      assertEqual(Object.keys(jar.cookies).sort(), ["session.0", "session.1", "session.2"], "cookies");
      assertEqual(body(await exchange(handler, platform, "GET", "/read", jar.cookies)).data, { blob: "x".repeat(7000) }, "read back");
      const { ["session.1"]: _dropped, ...missing } = jar.cookies;
      assertEqual(body(await exchange(handler, platform, "GET", "/read", missing)).isFresh, true, "isFresh without session.1");
      jar.take(await exchange(handler, platform, "POST", "/fill/10", jar.cookies));
      assertEqual(Object.keys(jar.cookies), ["session"], "cookies after shrinking");
    });
  }

  tests.test("a schema checks what an UnsignedCookieStore loads: invalid data gives the defaults", async () => {
    const preferences = session({ schema: Theme, store: new UnsignedCookieStore(), defaultSessionData: { theme: "light" } });
    const handler = compose(cookie(), preferences, (ctx: RequestContext) => {
      const prefs = preferences.of(ctx);
      if (ctx.url.pathname === "/dark") prefs.data.theme = "dark";
      return Response.json({ data: prefs.data, isFresh: prefs.isFresh, result: null });
    }) as HattipHandler<Platform>;
    const jar = new Jar();
    jar.take(await exchange(handler, platform, "POST", "/dark", jar.cookies));
    assertEqual(body(await exchange(handler, platform, "GET", "/read", jar.cookies)).data, { theme: "dark" }, "valid data");
    const now = Date.now();
    const forged = encodeURIComponent(`2|${now}|${now + 60_000}|0|{"theme":"sepia"}`);
    const answer = body(await exchange(handler, platform, "GET", "/read", { session: forged }));
    assert(answer.isFresh, "a fresh session for invalid data");
    assertEqual(answer.data, { theme: "light" }, "the defaults");
  });
}
