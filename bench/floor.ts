/**
 * The floor of a session: only the parts no library can skip, written
 * straight against node:crypto or the Redis client, as an app of the
 * many-users benchmark. The cookie floors read the very cookies our signed
 * and encrypted stores write (same keys, same bytes):
 *
 * - signed: parse the Cookie header (the `cookie` package, which
 *   @hattip/cookie uses), decode the base64url payload, one HMAC-SHA-256
 *   verified in constant time, `JSON.parse` of the session data;
 * - encrypted: parse the Cookie header, decode base64url, one AES-256-GCM
 *   open (its tag checked), `JSON.parse` of the session data.
 *
 * No middleware, no record header, no change detection, no expiry check:
 * our session's CPU per read as a multiple of this is what the rest of the
 * work costs. /login makes the cookie with our store (not measured).
 *
 * The Redis floor is a session kept the plainest way, on the client both
 * libraries are measured with: the cookie holds the key's name itself (no
 * hash, no check of its shape), a read is one GET and `JSON.parse`, a write
 * adds `JSON.stringify`, one SET with the TTL and the Set-Cookie line both
 * libraries send. No deadline on a command, no guard against a logout
 * landing between the GET and the SET. With one request at a time, a
 * command's socket write and wait cost far more than any library's own
 * work: this shows how much of a Redis request is left to win.
 */
import { createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";
import type { RequestContext, RequestHandler } from "@hattip/compose";
import { parse, serialize } from "cookie";
import type * as OursModule from "hattip-session";
import { encodePurpose } from "../packages/session/dist/crypto/purpose.js";
import { BENCH_COOKIE_OPTIONS, BENCH_KEYS, SESSION_MAX_AGE_SECONDS, typicalSession } from "./fixtures.js";
import type { RedisLike } from "./round-trips.js";

export type FloorKind = "signed" | "encrypted";

const COOKIE = "session";
/** Key ID (8 characters) and the dot after it, in front of a signed value. */
const SIGNED_KEY_ID_END = 9;
/** Bytes of key ID and IV in front of the ciphertext of a sealed value, and of the tag after it. */
const SEALED_HEADER_BYTES = 18;
const TAG_BYTES = 16;

export async function floorApp(kind: FloorKind, ours: typeof OursModule): Promise<RequestHandler> {
  const store =
    kind === "signed"
      ? new ours.SignedCookieStore(await ours.SignedCookieStore.generateKeysFromBase64([BENCH_KEYS.hmac]))
      : new ours.EncryptedCookieStore(await ours.EncryptedCookieStore.generateKeysFromBase64([BENCH_KEYS.aes]));
  const key = createSecretKey(Buffer.from(kind === "signed" ? BENCH_KEYS.hmac : BENCH_KEYS.aes, "base64url"));
  const purpose = encodePurpose(kind, COOKIE);
  const read = kind === "signed" ? (value: string) => verifiedText(key, purpose, value) : (value: string) => openedText(key, purpose, value);
  return async (ctx: RequestContext) => {
    if (ctx.url.pathname === "/login") {
      const now = Date.now();
      const value = await store.createRecord({ data: typicalSession(), createdAt: now, expiresAt: now + SESSION_MAX_AGE_SECONDS * 1000 }, ctx, {
        name: COOKIE,
      });
      return new Response("logged in", { headers: { "set-cookie": `${COOKIE}=${value}; Path=/; HttpOnly` } });
    }
    const value = parse(ctx.request.headers.get("cookie") ?? "")[COOKIE];
    const text = value === undefined ? null : read(value);
    // The record text is `3.created.expires.metaLength.meta data`: the data starts after the fourth dot (no metadata here).
    const data = text === null ? null : (JSON.parse(text.slice(nthDot(text, 4) + 1)) as { name?: string });
    return new Response(String(data?.name ?? "anonymous"));
  };
}

export function redisFloorApp(client: RedisLike): RequestHandler {
  const keyOf = (id: string) => `session:${id}`;
  const save = (id: string, data: unknown) => client.set(keyOf(id), JSON.stringify(data), { EX: SESSION_MAX_AGE_SECONDS });
  const withCookie = (body: string, id: string) => new Response(body, { headers: { "set-cookie": serialize(COOKIE, id, BENCH_COOKIE_OPTIONS) } });
  return async (ctx: RequestContext) => {
    const path = ctx.url.pathname;
    if (path === "/login") {
      const id = randomBytes(32).toString("base64url");
      await save(id, typicalSession());
      return withCookie("logged in", id);
    }
    const id = parse(ctx.request.headers.get("cookie") ?? "")[COOKIE];
    const stored = id === undefined ? null : await client.get(keyOf(id));
    const data = typeof stored === "string" ? (JSON.parse(stored) as Record<string, unknown>) : null;
    if (path === "/read") return new Response(String(data?.name ?? "anonymous"));
    if (id === undefined || data === null) return new Response("no session", { status: 401 });
    data.count = Number(data.count ?? 0) + 1;
    await save(id, data);
    return withCookie(String(data.count), id);
  };
}

function verifiedText(key: KeyObject, purpose: Uint8Array, value: string): string | null {
  const dot = value.lastIndexOf(".");
  const text = Buffer.from(value.slice(SIGNED_KEY_ID_END, dot), "base64url").toString("utf8");
  const expected = createHmac("sha256", key).update(purpose).update(value.slice(0, dot), "latin1").digest();
  const presented = Buffer.from(value.slice(dot + 1), "base64url");
  return presented.length === expected.length && timingSafeEqual(expected, presented) ? text : null;
}

function openedText(key: KeyObject, purpose: Uint8Array, value: string): string | null {
  const sealed = Buffer.from(value, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(6, SEALED_HEADER_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(purpose).setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plaintext = decipher.update(sealed.subarray(SEALED_HEADER_BYTES, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext.toString("utf8");
}

function nthDot(text: string, n: number): number {
  let at = -1;
  for (let count = 0; count < n; count++) at = text.indexOf(".", at + 1);
  return at;
}
