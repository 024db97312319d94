/**
 * The session cache (`session({ cache })`) on the built package, in every
 * runtime and on every server-side store each runtime hosts: a copy in a
 * second cookie answers GET requests within maxAge, bound to its session,
 * never in clear; a revocation reaches a cached browser by maxAge, and
 * verify() at once; a write from a copy behind the store runs again.
 * Store loads are counted on the store itself.
 */
import { compose, type RequestContext } from "@hattip/compose";
import type { HattipHandler } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import {
  EncryptedCookieStore,
  isSessionError,
  session,
  SignedCookieStore,
  type SessionOptions,
  type SessionStore,
  type UserSessionIndex,
} from "hattip-session";
import { adapterContext, exchange, type Exchange, type Platform } from "./adapter-context.js";
import { Jar } from "./feature-behaviour.js";
import { assert, assertEqual, pause, type TestList } from "./harness.js";
import type { Data, StoreSubject } from "./store-contract.js";

/** Where a request can be parked after its session loaded. */
let parked: { entered: () => void; release: Promise<void> } | undefined;

type CacheSession = {
  data: Data;
  isFresh: boolean;
  userId: string | undefined;
  bindUser(user: string): void;
  verify(): Promise<boolean>;
};

function cacheApp(store: SessionStore<Data>, keys: [CryptoKey], maxAge: number): HattipHandler<Platform> {
  return compose(cookie(), session({ store, cache: { maxAge, keys } } as SessionOptions), async (ctx: RequestContext) => {
    const s = ctx.session as unknown as CacheSession;
    const [, action = "", value = ""] = ctx.url.pathname.split("/");
    let verified: boolean | null = null;
    if (action === "bind") s.bindUser(value);
    if (action === "push") {
      if (parked) {
        parked.entered();
        await parked.release;
      }
      s.data["items"] = [...((s.data["items"] as string[] | undefined) ?? []), value];
    }
    if (action === "fill") s.data["blob"] = "x".repeat(Number(value));
    if (action === "verify") verified = await s.verify();
    return Response.json({ data: s.data, isFresh: s.isFresh, userId: s.userId ?? null, verified });
  }) as HattipHandler<Platform>;
}

const body = (answer: Exchange) => {
  assertEqual(answer.status, 200, `status (body: ${answer.body.slice(0, 120)})`);
  return JSON.parse(answer.body) as { data: Data; isFresh: boolean; userId: string | null; verified: boolean | null };
};

/** The store, with its loads counted. */
async function counted(subject: StoreSubject): Promise<{ store: SessionStore<Data>; loads: () => number }> {
  const store = (await subject.make()) as SessionStore<Data> & { loadEntry(...args: unknown[]): unknown };
  let loads = 0;
  const loadEntry = store.loadEntry.bind(store);
  store.loadEntry = (...args: unknown[]) => (loads++, loadEntry(...args));
  return { store, loads: () => loads };
}

export function cacheBehaviour(tests: TestList, subject: StoreSubject, platform: Platform): void {
  const it = (
    behaviour: string,
    run: (context: {
      send: (method: string, path: string) => Promise<Exchange>;
      jar: Jar;
      store: SessionStore<Data>;
      loads: () => number;
      handler: HattipHandler<Platform>;
    }) => Promise<void>,
    maxAge = 60,
  ) =>
    tests.test(`session cache with ${subject.name}: ${behaviour}`, async () => {
      const { store, loads } = await counted(subject);
      const handler = cacheApp(store, [await EncryptedCookieStore.generateKey()], maxAge);
      const jar = new Jar();
      const send = async (method: string, path: string) => jar.take(await exchange(handler, platform, method, path, jar.cookies));
      await run({ send, jar, store, loads, handler });
    });

  it("a copy answers GET requests within maxAge: one store load in five, none right after a write", async ({ send, jar, loads }) => {
    await send("GET", "/push/a");
    const afterWrite = loads();
    for (let i = 0; i < 5; i++) assertEqual(body(await send("GET", "/read")).data, { items: ["a"] }, "data from the copy");
    assertEqual(loads() - afterWrite, 0, "store loads after the write");
    delete jar.cookies["session.cache"];
    const before = loads();
    for (let i = 0; i < 5; i++) assertEqual(body(await send("GET", "/read")).data, { items: ["a"] }, "data");
    assertEqual(loads() - before, 1, "store loads for five GETs without a copy");
    assertEqual(body(await send("POST", "/read")).data, { items: ["a"] }, "data for a POST");
    assertEqual(loads() - before, 2, "store loads after a POST");
  });

  it("a copy made for another session is ignored, and carries nothing in clear", async ({ send, jar, handler, loads }) => {
    await send("GET", "/push/secret-marker");
    const copy = jar.cookies["session.cache"]!;
    assert(copy !== undefined && !copy.includes("secret") && !copy.includes(jar.cookies["session"]!), `a sealed copy, got ${copy}`);
    const other = new Jar();
    other.take(await exchange(handler, platform, "GET", "/push/other", other.cookies));
    other.cookies["session.cache"] = copy;
    const before = loads();
    assertEqual(body(await exchange(handler, platform, "GET", "/read", other.cookies)).data, { items: ["other"] }, "the other session's data");
    assertEqual(loads() - before, 1, "store loads with a foreign copy");
  });

  if (subject.indexesUsers) {
    it("a revocation reaches a cached browser once maxAge has passed, and verify() at once", async ({ send, jar, store, handler }) => {
      await send("GET", "/bind/ada");
      delete jar.cookies["session.cache"];
      await send("GET", "/read");
      const copiedAt = Date.now();
      const kept = { ...jar.cookies };
      const outside = adapterContext(new Request("http://app.test/"), platform) as RequestContext;
      await (store as unknown as UserSessionIndex).revokeUserSessions("ada", outside);
      assertEqual(body(await send("GET", "/read")).userId, "ada", "the user within maxAge");
      const verified = body(await send("GET", "/verify"));
      assertEqual([verified.verified, verified.isFresh, verified.userId], [false, true, null], "verify() after the revocation");
      await pause(copiedAt + 700 - Date.now());
      assertEqual(body(await exchange(handler, platform, "GET", "/read", kept)).userId, null, "the user once maxAge has passed");
    }, 0.6);
  }

  it("a GET that changed a session from a copy behind the store runs again, and neither change is lost", async ({ send, jar, handler }) => {
    await send("GET", "/push/first");
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    parked = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
    const tab1 = exchange(handler, platform, "GET", "/push/tab-1", { ...jar.cookies });
    await inside;
    parked = undefined;
    await send("POST", "/push/tab-2");
    release();
    const first = jar.take(await tab1);
    assertEqual(first.status, 307, "the stale GET's status");
    assertEqual(body(await send("GET", "/push/tab-1")).data, { items: ["first", "tab-2", "tab-1"] }, "after running again");
  });

  it("a session too large for one cookie is not cached, without an error", async ({ send, jar, loads }) => {
    const grown = await send("GET", "/fill/5000");
    assertEqual(grown.status, 200, "status");
    assertEqual(jar.cookies["session.cache"], undefined, "the copy");
    const before = loads();
    await send("GET", "/read");
    await send("GET", "/read");
    assertEqual(loads() - before, 2, "store loads");
  });
}

export function cacheSetupBehaviour(tests: TestList): void {
  tests.test("session cache: refused with a cookie store, with a SessionSetupError", async () => {
    const keys: [CryptoKey] = [await EncryptedCookieStore.generateKey()];
    for (const store of [new SignedCookieStore<Data>([await SignedCookieStore.generateKey()]), new EncryptedCookieStore<Data>(keys)]) {
      let failure: unknown;
      try {
        session({ store, cache: { maxAge: 60, keys } } as SessionOptions);
      } catch (error) {
        failure = error;
      }
      assert(isSessionError(failure, "ERR_SESSION_SETUP"), `a SessionSetupError, got ${String(failure)}`);
    }
  });
}
