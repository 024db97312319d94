/**
 * Type tests of the data features, compiled by `npm run typecheck`, never
 * run: a schema types its session without module augmentation, flash
 * values are typed by SessionFlashData, the sudo and user APIs are typed.
 */
import { compose, type RequestContext } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { type } from "arktype";
import * as v from "valibot";
import { expectTypeOf } from "vitest";
import { z } from "zod";
import { session, UnsignedCookieStore, UnsafeMemoryStore, type UserSessionInfo } from "hattip-session";

declare module "hattip-session" {
  interface SessionFlashData {
    notice: string;
  }
}

const zodPreferences = session({
  name: "zodPreferences",
  schema: z.object({ theme: z.enum(["light", "dark"]), fontSize: z.number().optional() }),
  store: new UnsignedCookieStore(),
  defaultSessionData: { theme: "light" },
});
const valibotCart = session({
  cookieName: "cart",
  schema: v.object({ items: v.array(v.string()) }),
  store: new UnsafeMemoryStore(),
  defaultSessionData: { items: [] },
});
const arkProfile = session({
  cookieName: "profile",
  schema: type({ nickname: "string" }),
  store: new UnsafeMemoryStore(),
  defaultSessionData: { nickname: "" },
});

// @ts-expect-error -- the defaults must match the schema's output
session({ schema: z.object({ theme: z.enum(["light", "dark"]) }), store: new UnsignedCookieStore(), defaultSessionData: { theme: "sepia" } });

export const app = compose(cookie(), zodPreferences, valibotCart, arkProfile, (ctx: RequestContext) => {
  expectTypeOf(zodPreferences.of(ctx).data).toEqualTypeOf<{ theme: "light" | "dark"; fontSize?: number | undefined }>();
  expectTypeOf(valibotCart.of(ctx).data.items).toEqualTypeOf<string[]>();
  expectTypeOf(arkProfile.of(ctx).data.nickname).toEqualTypeOf<string>();
  // @ts-expect-error -- "sepia" is not a theme
  zodPreferences.of(ctx).data.theme = "sepia";

  ctx.session.flash("notice", "Saved");
  expectTypeOf(ctx.session.getFlash("notice")).toEqualTypeOf<string | undefined>();
  // @ts-expect-error -- a flash value of the wrong type
  ctx.session.flash("notice", 42);
  // @ts-expect-error -- an undeclared flash key
  ctx.session.getFlash("undeclared");

  ctx.session.markAuthenticated();
  expectTypeOf(ctx.session.authenticatedWithin(600)).toEqualTypeOf<boolean>();
  expectTypeOf(ctx.session.authenticatedAt).toEqualTypeOf<number | undefined>();
  ctx.session.bindUser("user-42");
  expectTypeOf(ctx.session.userId).toEqualTypeOf<string | undefined>();
  expectTypeOf(ctx.session.listSessions()).resolves.toEqualTypeOf<UserSessionInfo[]>();
  return new Response("ok");
});

// The session cache: maxAge and keys are required, protection is one of two words, verify() answers a boolean.
declare const cacheKeys: [CryptoKey, ...CryptoKey[]];
session({ store: new UnsafeMemoryStore(), cache: { maxAge: 30, keys: cacheKeys } });
session({ store: new UnsafeMemoryStore(), cache: { maxAge: 30, keys: cacheKeys, protection: "signed" } });
// @ts-expect-error -- maxAge is required
session({ store: new UnsafeMemoryStore(), cache: { keys: cacheKeys } });
// @ts-expect-error -- protection is "encrypted" or "signed"
session({ store: new UnsafeMemoryStore(), cache: { maxAge: 30, keys: cacheKeys, protection: "plain" } });
compose(cookie(), session({ store: new UnsafeMemoryStore() }), async (ctx: RequestContext) => {
  expectTypeOf(await ctx.session.verify()).toEqualTypeOf<boolean>();
});
