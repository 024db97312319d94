/**
 * The middleware's behaviours, through @hattip/compose and @hattip/cookie
 * with Fetch Requests, as an adapter would drive them: write, read back,
 * tamper, rotate keys, expire, regenerate, destroy, oversize.
 */
import { compose, type RequestContext } from "@hattip/compose";
import type { HattipHandler } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import {
  EncryptedCookieStore,
  session,
  SessionTooLargeError,
  SignedCookieStore,
  UnsignedCookieStore,
  type SessionOptions,
  type SessionStore,
} from "hattip-session";
import { adapterContext, exchange, type Exchange, type Platform } from "./adapter-context.js";
import { assert, assertEqual, assertNotEqual, pause, type TestList } from "./harness.js";
import { SHORT_LIFETIME_MS, type Data, type StoreSubject } from "./store-contract.js";

const COOKIE = "session";

/** A small app: each path is one thing a handler can do to its session. */
function app(store: SessionStore<Data>, options: Partial<SessionOptions<Data>> = {}): HattipHandler<Platform> {
  return compose(
    (ctx) => {
      // Reports which error reached compose, without the default handler's console noise.
      ctx.handleError = (error: unknown) =>
        new Response(error instanceof SessionTooLargeError ? "SessionTooLargeError" : String(error), { status: 500 });
    },
    cookie(),
    session({ ...options, store } as SessionOptions),
    (ctx: RequestContext) => {
      const data = ctx.session.data as Data;
      const [, action = "", key = "", value = ""] = ctx.url.pathname.split("/");
      if (action === "write") data[key] = decodeURIComponent(value);
      if (action === "fill") data[key] = "x".repeat(Number(value));
      if (action === "regenerate") void ctx.session.regenerate();
      if (action === "destroy") void ctx.session.destroy();
      return Response.json({ data, isFresh: ctx.session.isFresh });
    },
  ) as HattipHandler<Platform>;
}

interface Reading {
  data: Data;
  isFresh: boolean;
}

function reading(answer: Exchange): Reading {
  assertEqual(answer.status, 200, `status (body: ${answer.body.slice(0, 120)})`);
  return JSON.parse(answer.body) as Reading;
}

function issuedCookie(answer: Exchange): string {
  const issued = answer.setCookies.get(COOKIE);
  assert(issued && issued.value !== "", `expected a Set-Cookie for "${COOKIE}", got ${[...answer.setCookies.keys()].join(", ") || "none"}`);
  return issued.value;
}

/** Changes one character in the middle of a cookie value, keeping it in the base64url alphabet. */
function tamper(value: string): string {
  for (let at = Math.floor(value.length / 2); at < value.length; at++) {
    const char = value[at]!;
    if (/[A-Za-z0-9]/.test(char)) return value.slice(0, at) + (char === "A" ? "B" : "A") + value.slice(at + 1);
  }
  throw new Error(`no character to tamper with in ${value}`);
}

export function middlewareBehaviour(tests: TestList, subject: StoreSubject, platform: Platform): void {
  const storeCtx = () => adapterContext(new Request("http://app.test/"), platform) as RequestContext;
  const it = (behaviour: string, body: (store: SessionStore<Data>) => Promise<void>) =>
    tests.test(`middleware with ${subject.name}: ${behaviour}`, async () => body(await subject.make()));
  const send = (handler: HattipHandler<Platform>, method: string, path: string, sessionCookie?: string) =>
    exchange(handler, platform, method, path, sessionCookie === undefined ? {} : { [COOKIE]: sessionCookie });

  it("starts fresh and sets no cookie for a request that changes nothing", async (store) => {
    const answer = await send(app(store), "GET", "/read");
    assertEqual(reading(answer), { data: {}, isFresh: true }, "session");
    assertEqual(answer.setCookies.size, 0, "Set-Cookie headers");
  });

  it("writes a session and reads it back", async (store) => {
    const handler = app(store);
    const written = await send(handler, "POST", "/write/user/ada%20lovelace");
    const cookieValue = issuedCookie(written);
    const attributes = written.setCookies.get(COOKIE)!.attributes;
    assert("httponly" in attributes, "cookie is HttpOnly");
    assertEqual(attributes["samesite"]?.toLowerCase(), "lax", "SameSite");
    assertEqual(reading(await send(handler, "GET", "/read", cookieValue)), { data: { user: "ada lovelace" }, isFresh: false }, "read back");
  });

  it("gives a fresh session for a tampered cookie", async (store) => {
    const handler = app(store);
    const cookieValue = issuedCookie(await send(handler, "POST", "/write/user/ada"));
    const answer = reading(await send(handler, "GET", "/read", tamper(cookieValue)));
    assertEqual(answer, { data: {}, isFresh: true }, "session for the tampered cookie");
  });

  it("gives a fresh session once the idle lifetime has passed", async (store) => {
    const handler = app(store, { cookieOptions: { maxAge: SHORT_LIFETIME_MS / 1000 } });
    const writtenAt = Date.now();
    const cookieValue = issuedCookie(await send(handler, "POST", "/write/user/ada"));
    const early = reading(await send(handler, "GET", "/read", cookieValue));
    // Checked only when the machine was quick enough for the read to fall before the deadline.
    if (Date.now() - writtenAt < SHORT_LIFETIME_MS) assertEqual(early.isFresh, false, "isFresh at once");
    await pause(SHORT_LIFETIME_MS * 2.5);
    assertEqual(reading(await send(handler, "GET", "/read", cookieValue)).isFresh, true, "isFresh after the lifetime");
  });

  it("refuses a session created before the absolute lifetime, however recently saved", async (store) => {
    assert(store.saveRecord, `${subject.name} keeps records`);
    const handler = app(store, { absoluteLifetime: 3600 });
    const now = Date.now();
    const recent = await store.saveRecord(null, { data: { user: "recent" }, createdAt: now - 60_000, expiresAt: now + 60_000 }, storeCtx());
    const ancient = await store.saveRecord(null, { data: { user: "ancient" }, createdAt: now - 7_200_000, expiresAt: now + 60_000 }, storeCtx());
    assertEqual(reading(await send(handler, "GET", "/read", encodeURIComponent(recent))).isFresh, false, "isFresh of a session a minute old");
    assertEqual(reading(await send(handler, "GET", "/read", encodeURIComponent(ancient))), { data: {}, isFresh: true }, "session two hours old");
  });

  it("regenerate() reissues the session with its data" + (subject.revocable ? " under a new ID, the old one dead" : ""), async (store) => {
    const handler = app(store);
    const before = issuedCookie(await send(handler, "POST", "/write/user/ada"));
    const regenerated = await send(handler, "POST", "/regenerate", before);
    const after = issuedCookie(regenerated);
    // A signed cookie is a pure function of data and timestamps: within one millisecond
    // (workerd's clock stands still between I/O) regenerating may reissue the same value.
    if (subject.revocable) assertNotEqual(after, before, "session ID after regenerate");
    assertEqual(reading(await send(handler, "GET", "/read", after)), { data: { user: "ada" }, isFresh: false }, "session under the new ID");
    if (subject.revocable) {
      assertEqual(reading(await send(handler, "GET", "/read", before)).isFresh, true, "isFresh under the old ID");
    }
  });

  it("destroy() clears the cookie" + (subject.revocable ? " and forgets the session" : ""), async (store) => {
    const handler = app(store);
    const before = issuedCookie(await send(handler, "POST", "/write/user/ada"));
    const destroyed = await send(handler, "POST", "/destroy", before);
    const cleared = destroyed.setCookies.get(COOKIE);
    assert(cleared, "a Set-Cookie that clears the session cookie");
    assert(
      cleared.value === "" && (cleared.attributes["max-age"] === "0" || "expires" in cleared.attributes),
      `cleared cookie, got value "${cleared.value}" ${JSON.stringify(cleared.attributes)}`,
    );
    if (subject.revocable) {
      assertEqual(reading(await send(handler, "GET", "/read", before)).isFresh, true, "isFresh under the destroyed ID");
    }
  });
}

/** Behaviours particular to cookie stores: key rotation, size limit, client-editable data. */
export function cookieStoreBehaviour(tests: TestList, platform: Platform): void {
  const send = (handler: HattipHandler<Platform>, method: string, path: string, sessionCookie?: string) =>
    exchange(handler, platform, method, path, sessionCookie === undefined ? {} : { [COOKIE]: sessionCookie });

  const rotations = [
    {
      name: "SignedCookieStore",
      make: (keys: [CryptoKey, ...CryptoKey[]]) => new SignedCookieStore<Data>(keys),
      key: () => SignedCookieStore.generateKey(),
    },
    {
      name: "EncryptedCookieStore",
      make: (keys: [CryptoKey, ...CryptoKey[]]) => new EncryptedCookieStore<Data>(keys),
      key: () => EncryptedCookieStore.generateKey(),
    },
  ];
  for (const { name, make, key } of rotations) {
    tests.test(`middleware with ${name}: rotating keys keeps sessions until the old key is removed`, async () => {
      const [oldKey, newKey] = [await key(), await key()];
      const oldCookie = issuedCookie(await send(app(make([oldKey])), "POST", "/write/user/ada"));
      const rotated = app(make([newKey, oldKey]));
      assertEqual(reading(await send(rotated, "GET", "/read", oldCookie)), { data: { user: "ada" }, isFresh: false }, "old cookie under [new, old]");
      const newCookie = issuedCookie(await send(rotated, "POST", "/write/user/grace", oldCookie));
      const newOnly = app(make([newKey]));
      assertEqual(
        reading(await send(newOnly, "GET", "/read", newCookie)),
        { data: { user: "grace" }, isFresh: false },
        "cookie written after rotation, under [new]",
      );
      assertEqual(reading(await send(newOnly, "GET", "/read", oldCookie)).isFresh, true, "isFresh of the old cookie once the old key is gone");
    });

    tests.test(`middleware with ${name}: refuses to write a cookie over 4096 bytes`, async () => {
      const handler = app(make([await key()]));
      const answer = await send(handler, "POST", "/fill/blob/5000");
      assertEqual({ status: answer.status, body: answer.body }, { status: 500, body: "SessionTooLargeError" }, "oversize answer");
      assertEqual(answer.setCookies.size, 0, "Set-Cookie headers of the oversize answer");
      issuedCookie(await send(handler, "POST", "/fill/blob/1000"));
    });

    tests.test(`${name} loads a cookie written with its exported and re-imported key`, async () => {
      const original = await key();
      const exported = await (name === "SignedCookieStore" ? SignedCookieStore.exportKey(original) : EncryptedCookieStore.exportKey(original));
      const imported =
        name === "SignedCookieStore"
          ? await SignedCookieStore.generateKeysFromBase64([exported])
          : await EncryptedCookieStore.generateKeysFromBase64([exported]);
      const cookieValue = issuedCookie(await send(app(make([original])), "POST", "/write/user/ada"));
      assertEqual(reading(await send(app(make(imported)), "GET", "/read", cookieValue)).data, { user: "ada" }, "data under the imported key");
    });
  }

  tests.test("middleware with UnsignedCookieStore: reads back what it wrote and starts fresh on data that fails parse", async () => {
    const store = new UnsignedCookieStore<Data>({
      parse(text) {
        const parsed = JSON.parse(text) as Data;
        if (typeof parsed["theme"] !== "string") throw new Error("theme must be a string");
        return parsed;
      },
    });
    const handler = app(store);
    const cookieValue = issuedCookie(await send(handler, "POST", "/write/theme/dark"));
    assertEqual(reading(await send(handler, "GET", "/read", cookieValue)), { data: { theme: "dark" }, isFresh: false }, "read back");
    for (const forged of [encodeURIComponent('{"theme":42}'), "not%20json", encodeURIComponent("[]"), "%E0%A4%A"]) {
      assertEqual(reading(await send(handler, "GET", "/read", forged)), { data: {}, isFresh: true }, `session for cookie ${forged}`);
    }
  });

  tests.test("middleware with UnsignedCookieStore: oversize data is refused", async () => {
    const answer = await send(app(new UnsignedCookieStore<Data>()), "POST", "/fill/blob/5000");
    assertEqual(answer.status, 500, "status");
    assertEqual(answer.body, "SessionTooLargeError", "error reaching handleError");
  });
}
