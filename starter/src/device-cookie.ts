/**
 * Device cookies, OWASP's answer to credential stuffing that does not lock
 * the real user out (login-throttle.ts): after a successful sign-in the
 * browser gets a cookie naming the account, and on its next attempt at that
 * account it is judged on a counter of its own instead of the counter that
 * every unknown browser shares, which a flood from many addresses locks.
 *
 * The cookie is an `EncryptedCookieStore` record under the app's keys
 * (AES-256-GCM: nobody can forge one or move it to another cookie name),
 * and more than signed: a browser's cookies, or a log, do not show which
 * accounts were used on it. Its data, checked by a zod schema, is a random
 * device ID and the accounts, lower-case, the latest first. It lives a year
 * from the last sign-in, and is not a session: it lets nobody in, it only
 * decides which counter an attempt is judged on.
 */
import type { RequestContext } from "@hattip/compose";
import { EncryptedCookieStore } from "hattip-session";
import * as z from "zod/mini";
import { ThrottleUnavailableError } from "./login-throttle.js";
import { Username } from "./session-data.js";

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
/** A browser shared by a household keeps the last few accounts, not a list without end. */
const MAX_ACCOUNTS = 5;

const DeviceCookie = z.strictObject({
  device: z.string().check(z.regex(/^[A-Za-z0-9_-]{22}$/)),
  accounts: z.array(Username).check(z.maxLength(MAX_ACCOUNTS)),
});
type DeviceCookie = z.infer<typeof DeviceCookie>;

/** AES-256-GCM keys, newest first, as `EncryptedCookieStore` takes them. */
export type DeviceCookieKeys = () => Promise<[CryptoKey, ...CryptoKey[]]>;

export class DeviceCookies {
  #sealer: Promise<EncryptedCookieStore<DeviceCookie>> | undefined;

  /** `keys` is asked once, on the first sign-in attempt that needs it, and again only if it failed. */
  constructor(private readonly keys: DeviceCookieKeys) {}

  /** This browser's device ID, if its cookie names `username`; `undefined` for an unknown browser. */
  async knownDevice(ctx: RequestContext, username: string): Promise<string | undefined> {
    const cookie = await this.#read(ctx);
    return cookie?.accounts.includes(username.toLowerCase()) ? cookie.device : undefined;
  }

  /** After a successful sign-in: the cookie names `username` too (first), for another year. */
  async remember(ctx: RequestContext, username: string): Promise<void> {
    const held = await this.#read(ctx);
    const account = username.toLowerCase();
    const data: DeviceCookie = {
      device: held?.device ?? randomBase64Url(16),
      accounts: [account, ...(held?.accounts ?? []).filter((other) => other !== account)].slice(0, MAX_ACCOUNTS),
    };
    const now = Date.now();
    const name = cookieName(ctx);
    const value = await (await this.#store()).createRecord({ data, createdAt: now, expiresAt: now + ONE_YEAR_SECONDS * 1000 }, ctx, { name });
    ctx.setCookie(name, value, { httpOnly: true, sameSite: "lax", secure: ctx.url.protocol === "https:", path: "/", maxAge: ONE_YEAR_SECONDS });
  }

  async #read(ctx: RequestContext): Promise<DeviceCookie | null> {
    const name = cookieName(ctx);
    const value = ctx.cookie[name];
    // No cookie, no key needed: an unknown browser costs no round trip for it.
    if (!value) return null;
    return (await (await this.#store()).loadRecord(value, ctx, { name }))?.data ?? null;
  }

  #store(): Promise<EncryptedCookieStore<DeviceCookie>> {
    this.#sealer ??= this.keys().then(
      (keys) => new EncryptedCookieStore<DeviceCookie>(keys, { parse: (json) => DeviceCookie.parse(JSON.parse(json)) }),
      (error: unknown) => {
        this.#sealer = undefined;
        // Where the key lives did not answer: sign-in waits (503), as it does when the counters do not answer.
        if (error instanceof ThrottleUnavailableError) throw error;
        throw new ThrottleUnavailableError(`The device cookies' key could not be read: ${(error as Error).message}`, { cause: error });
      },
    );
    return this.#sealer;
  }
}

/** `__Host-` over https, as the login cookie: no sibling subdomain can set or shadow it. */
function cookieName(ctx: RequestContext): string {
  return ctx.url.protocol === "https:" ? "__Host-device" : "device";
}

/** A new key for device cookies: 32 random bytes, base64url, the form `EncryptedCookieStore.generateKeysFromBase64` reads. */
export function newDeviceKey(): string {
  return randomBase64Url(32);
}

function randomBase64Url(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}
