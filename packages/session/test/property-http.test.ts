/**
 * Whatever Cookie header a client sends, the server answers as it would to
 * a stranger or to the session it names: never a 500. Real HTTP through
 * @hattip/adapter-node, every store.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EncryptedCookieStore,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
  type SessionData,
  type SessionStore,
} from "../src/index.js";
import { serveSessionApp } from "./support/app.js";
import type { Served } from "./support/serve.js";

const RUNS = 500;

/** Every character a header value may carry (no NUL, CR or LF; nothing past U+00FF). */
const headerCharacter = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff }))
  .map((code) => String.fromCharCode(code));
const headerText = (maxLength: number) => fc.string({ unit: headerCharacter, maxLength });
const cookieLikeText = fc.string({
  unit: fc.constantFrom(...'ABCDEFabcdef0123456789-_.%=;| "{}:,'),
  maxLength: 120,
});

/** Cookie headers from plain noise to well-formed pairs naming our cookie. */
const cookieHeader = fc.oneof(
  headerText(300),
  fc
    .tuple(fc.constantFrom("session=", "session=session=", "  session = ", "Session="), fc.oneof(headerText(200), cookieLikeText))
    .map(([prefix, value]) => prefix + value),
  fc
    .array(fc.tuple(fc.oneof(fc.constant("session"), headerText(10)), fc.oneof(cookieLikeText, headerText(60))), {
      maxLength: 5,
    })
    .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join("; ")),
);

const path = fc.constantFrom("/read", "/increment", "/push?item=a", "/login?user=eve", "/logout");

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

const Strict = z.strictObject({ count: z.number().int().optional(), items: z.array(z.string()).optional() });

describe.each<{ name: string; store: () => Promise<SessionStore> }>([
  { name: "UnsafeMemoryStore", store: async () => new UnsafeMemoryStore<SessionData>() },
  {
    name: "UnsignedCookieStore with a validating parse",
    store: async () => new UnsignedCookieStore<SessionData>({ parse: (text) => Strict.parse(JSON.parse(text)) }),
  },
  { name: "SignedCookieStore", store: async () => new SignedCookieStore([await SignedCookieStore.generateKey()]) },
  {
    name: "EncryptedCookieStore",
    store: async () => new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]),
  },
])("$name over HTTP", ({ store }) => {
  it("never answers 500 to a random Cookie header", async () => {
    served = await serveSessionApp({ store: await store() });
    const { url } = served;
    await fc.assert(
      fc.asyncProperty(cookieHeader, path, async (cookie, route) => {
        const response = await fetch(url + route, { headers: { cookie }, redirect: "manual" });
        await response.arrayBuffer();
        expect([200, 303]).toContain(response.status);
      }),
      { numRuns: RUNS },
    );
  }, 60_000);
});
