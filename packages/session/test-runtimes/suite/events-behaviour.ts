/**
 * Lifecycle events on the built package, in every runtime: a session's
 * life fires its events in order, a refused cookie says why, the app's own
 * revoke reaches the store's listeners, no event holds an ID, a cookie
 * value or session data, and listeners that throw or never settle change
 * no response (their promise goes to the platform's waitUntil).
 */
import { compose, type RequestContext } from "@hattip/compose";
import type { HattipHandler } from "@hattip/core";
import { cookie } from "@hattip/cookie";
import { session, type SessionEvent, type SessionEventListeners, type SessionStore, type UserSessionIndex } from "hattip-session";
import { adapterContext, type Exchange, type Platform } from "./adapter-context.js";
import { assert, assertEqual, type TestList } from "./harness.js";
import type { Data, StoreSubject } from "./store-contract.js";

/**
 * The secrets found in `events`: any of `secrets` inside an event as JSON,
 * or a long string field of an event inside a secret (a cut ID). Empty
 * when the events are clean; shared with the vitest event tests.
 */
export function secretsIn(events: readonly SessionEvent[], secrets: Iterable<string>): string[] {
  const found: string[] = [];
  const all = [...secrets];
  for (const event of events) {
    const text = JSON.stringify(event);
    for (const secret of all) if (text.includes(secret)) found.push(`${event.type} holds ${secret}`);
    for (const value of Object.values(event)) {
      if (typeof value === "string" && value.length >= 20 && all.some((secret) => secret.includes(value)))
        found.push(`${event.type}: ${value} is part of a secret`);
    }
  }
  return found;
}

/** One request of the app, its cookies kept as a browser keeps them, and every value seen kept as a secret. */
class Visitor {
  readonly cookies: Record<string, string> = {};
  readonly secrets = new Set<string>();

  constructor(
    readonly handler: HattipHandler<Platform>,
    readonly platform: Platform,
  ) {}

  async send(path: string, pending: Promise<unknown>[] = []): Promise<Exchange> {
    const header = Object.entries(this.cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join("; ");
    for (const value of Object.values(this.cookies)) this.secrets.add(value);
    const context = adapterContext(new Request(new URL(path, "http://app.test"), { headers: header ? { cookie: header } : {} }), this.platform);
    context.waitUntil = (promise) => void pending.push(promise);
    const response = await this.handler(context);
    const setCookies = new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      const name = pair.slice(0, pair.indexOf("=")).trim();
      const value = pair.slice(pair.indexOf("=") + 1).trim();
      setCookies.set(name, value);
      if (/max-age=0/i.test(line)) delete this.cookies[name];
      else {
        this.cookies[name] = value;
        this.secrets.add(value);
      }
    }
    return {
      status: response.status,
      body: await response.text(),
      setCookies: new Map([...setCookies].map(([name, value]) => [name, { value, attributes: {} }])),
    };
  }
}

function app(store: SessionStore<Data>, events?: SessionEventListeners): HattipHandler<Platform> {
  return compose(
    (ctx) => {
      ctx.handleError = (error: unknown) => new Response(error instanceof Error ? error.name : String(error), { status: 500 });
    },
    cookie(),
    session({ store, events } as Parameters<typeof session>[0]),
    async (ctx: RequestContext) => {
      const s = ctx.session;
      const [, action = "", value = ""] = ctx.url.pathname.split("/");
      if (action === "write") (s.data as Data)["secret"] = value;
      if (action === "login") {
        s.bindUser(value);
        s.markAuthenticated();
      }
      if (action === "regenerate") await s.regenerate();
      if (action === "revoke-others") await s.revokeOtherSessions();
      if (action === "logout") await s.destroy();
      return Response.json({ isFresh: s.isFresh });
    },
  ) as HattipHandler<Platform>;
}

function recorder() {
  const heard: { event: SessionEvent; ctx: RequestContext | undefined }[] = [];
  const listeners: SessionEventListeners = { any: (event, ctx) => void heard.push({ event, ctx }) };
  return { heard, listeners, types: () => heard.map(({ event }) => event.type) };
}

export function eventsBehaviour(tests: TestList, subject: StoreSubject, platform: Platform): void {
  const serverSide = subject.indexesUsers === true;
  const signsIn = subject.name !== "UnsignedCookieStore";
  const it = (behaviour: string, body: () => Promise<void>) => tests.test(`events with ${subject.name}: ${behaviour}`, body);

  it("a session's life fires its events in order, each with the request, and none holds an ID, a cookie value or data", async () => {
    const events = recorder();
    const visitor = new Visitor(app(await subject.make(), events.listeners), platform);
    const secret = `data-${crypto.randomUUID()}`;
    visitor.secrets.add(secret);
    await visitor.send(`/write/${secret}`);
    await visitor.send(signsIn ? "/login/ada" : "/regenerate");
    if (serverSide) await visitor.send("/revoke-others");
    await visitor.send("/logout");
    const expected = ["created", "rotated", ...(signsIn ? ["bound", "sudoConfirmed"] : []), ...(serverSide ? ["revoked"] : []), "destroyed"];
    assertEqual(events.types(), expected, "event types");
    for (const { event, ctx } of events.heard) {
      assertEqual(event.store, subject.name, `${event.type}.store`);
      assertEqual(event.cookieName, "session", `${event.type}.cookieName`);
      assert(ctx?.request instanceof Request, `${event.type} came with its request context`);
    }
    const [created, rotated] = events.heard.map(({ event }) => event) as [SessionEvent & { handle?: string }, SessionEvent & { handle?: string }];
    assertEqual(typeof created.handle, serverSide ? "string" : "undefined", "the created session's handle");
    if (serverSide) assert(created.handle !== rotated.handle, "a rotation changes the handle");
    assertEqual(
      secretsIn(
        events.heard.map(({ event }) => event),
        visitor.secrets,
      ),
      [],
      "secrets in the events",
    );
  });

  it("a refused cookie fires cookieRefused with the reason", async () => {
    const events = recorder();
    const visitor = new Visitor(app(await subject.make(), events.listeners), platform);
    if (serverSide) {
      // A well-formed ID that names no session.
      visitor.cookies["session"] = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
        .replaceAll("+", "-")
        .replaceAll("/", "_")
        .replace(/=+$/, "");
    } else {
      await visitor.send("/write/x");
      events.heard.splice(0);
      const value = visitor.cookies["session"]!;
      // An edit the store's check catches: tampered where there is a key, and data that no longer parses where there is none.
      visitor.cookies["session"] = signsIn
        ? `${value.slice(0, -5)}${value.at(-5) === "A" ? "B" : "A"}${value.slice(-4)}`
        : `${value.slice(0, -3)}%7D%7D`;
    }
    await visitor.send("/read");
    const reason = serverSide ? "unknown_session" : signsIn ? "tampered" : "malformed";
    assertEqual(
      events.heard.map(({ event }) => [event.type, (event as { reason?: string }).reason]),
      [["cookieRefused", reason]],
      "events",
    );
    assertEqual(
      secretsIn(
        events.heard.map(({ event }) => event),
        visitor.secrets,
      ),
      [],
      "secrets in the events",
    );
  });

  it("listeners that throw or never settle change no response, and an async one goes to waitUntil", async () => {
    const journey = async (events?: SessionEventListeners, pending: Promise<unknown>[] = []) => {
      const visitor = new Visitor(app(await subject.make(), events), platform);
      const answers: unknown[] = [];
      for (const path of ["/write/x", signsIn ? "/login/ada" : "/regenerate", "/logout"]) {
        const answer = await visitor.send(path, pending);
        answers.push([answer.status, answer.body, [...answer.setCookies.keys()]]);
      }
      return answers;
    };
    const expected = await journey();
    const quiet = (globalThis as { console: { error: unknown } }).console;
    const error = quiet.error;
    quiet.error = () => {};
    try {
      assertEqual(
        await journey({
          any: () => {
            throw new Error("listener failed");
          },
        }),
        expected,
        "answers with a throwing listener",
      );
    } finally {
      quiet.error = error;
    }
    const pending: Promise<unknown>[] = [];
    assertEqual(await journey({ any: () => new Promise(() => {}) }, pending), expected, "answers with a listener that never settles");
    assertEqual(pending.length, signsIn ? 5 : 3, "promises handed to waitUntil");
  });

  if (serverSide) {
    it("a revoke the app asks of the store itself reaches the store's listeners, with the context the call passed", async () => {
      const events = recorder();
      const store = (await subject.make({ events: events.listeners })) as SessionStore<Data> & UserSessionIndex;
      const visitor = new Visitor(app(store), platform);
      await visitor.send("/login/ada");
      assertEqual(events.heard, [], "the store's listeners, after a sign-in");
      // What a job outside any request passes, as a Workers scheduled handler would: the platform, for a store that reads its binding there.
      const jobContext = adapterContext(new Request("http://app.test/job"), platform) as unknown as RequestContext;
      await store.revokeUserSessions("ada", jobContext);
      assertEqual(events.heard.length, 1, "events heard");
      const [{ event, ctx }] = events.heard as [(typeof events.heard)[number]];
      assertEqual(
        [event.type, (event as { scope?: string }).scope, (event as { requestedBy?: unknown }).requestedBy, event.cookieName],
        ["revoked", "all", { kind: "app" }, undefined],
        "the revoke",
      );
      assert(ctx === jobContext, "the listener got the context the call passed");
      assertEqual((await visitor.send("/read")).body, JSON.stringify({ isFresh: true }), "the revoked session, next request");
    });
  }
}
