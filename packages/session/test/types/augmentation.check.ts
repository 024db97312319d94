/**
 * Type tests: compiled by `npm run typecheck` (tsc), never executed. Each
 * `@ts-expect-error` fails the typecheck if the error it expects goes away.
 * They import the package by its name, as an app does, so the module
 * augmentation below is exactly what users write.
 */
import { compose, type RequestContext } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { expectTypeOf } from "vitest";
import { SignedCookieStore, UnsafeMemoryStore, UnsignedCookieStore, session, type Session, type SessionStore } from "hattip-session";

declare module "hattip-session" {
  interface SessionData {
    userId?: string;
    visits: number;
  }
  interface NamedSessionData {
    preferences: { theme: "light" | "dark" };
  }
}

export const app = compose(
  cookie(),
  session({ store: new UnsafeMemoryStore(), defaultSessionData: { visits: 0 } }),
  session({
    name: "preferences",
    store: new UnsignedCookieStore<{ theme: "light" | "dark" }>(),
    defaultSessionData: { theme: "light" },
  }),
  (ctx: RequestContext) => {
    expectTypeOf(ctx.session).toEqualTypeOf<Session>();
    expectTypeOf(ctx.session.data.userId).toEqualTypeOf<string | undefined>();
    expectTypeOf(ctx.session.data.visits).toEqualTypeOf<number>();
    expectTypeOf(ctx.sessions.preferences.data.theme).toEqualTypeOf<"light" | "dark">();
    expectTypeOf(ctx.session.isFresh).toEqualTypeOf<boolean>();
    expectTypeOf(ctx.session.regenerate).returns.toEqualTypeOf<Promise<void>>();

    // @ts-expect-error -- the augmented SessionData has no such field
    ctx.session.data.unknownField = 1;
    // @ts-expect-error -- "sepia" is not a theme
    ctx.sessions.preferences.data.theme = "sepia";
    // @ts-expect-error -- isFresh is read-only
    ctx.session.isFresh = true;
    return new Response("ok");
  },
);

// @ts-expect-error -- defaults must match SessionData
session({ store: new UnsafeMemoryStore(), defaultSessionData: { visits: "zero" } });

// @ts-expect-error -- a named session must be declared in NamedSessionData
session({ name: "undeclared", store: new UnsafeMemoryStore() });

// A store written for @hattip/session (load/save/destroy only) is still a store.
const legacyStore: SessionStore = {
  load: () => null,
  save: () => "id",
  destroy: () => {},
};
session({ store: legacyStore, defaultSessionData: { visits: 0 } });

// Keys: the reference's tuple types.
export const keys: Promise<[CryptoKey, ...CryptoKey[]]> = SignedCookieStore.generateKeysFromBase64(["k"]);
