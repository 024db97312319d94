/**
 * What the user tag in a bound session's ID (`<id>.<tag>`) and the names of
 * a user's index give away, on every server store that tags users, each on
 * its real backend (support/every-store.ts), through real HTTP:
 *
 * - an attacker with a dictionary of user names and e-mail addresses, who
 *   reads session IDs (logs, proxy traces, an old cookie) and every name
 *   the backend keeps (keys, the PostgreSQL columns, Durable Object names),
 *   recovers no user: the tag and the index names are keyed by the
 *   deployment's secret. The holder of the secret recovers them all, which
 *   shows the names do carry the user;
 * - two deployments (two secrets) give one user different tags and index
 *   names, so their sessions do not link;
 * - a session bound before the secret (the unkeyed tag of earlier builds)
 *   or under another secret ends cleanly: it loads as a fresh session and
 *   is destroyed;
 * - a store without the secret refuses to bind, list or revoke with a
 *   SessionSetupError that names it, and nothing is bound.
 */
import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionSetupError, type SessionStore, type UserSessionIndex } from "../src/index.js";
import { splitSessionId, userTagger } from "../src/stores/session-id.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";
import { CookieClient } from "./support/browser-like-client.js";
import { CRYPTO_PATHS, onPath } from "./support/crypto-paths.js";
import { useEveryStore } from "./support/every-store.js";
import type { Served } from "./support/serve.js";
import { serveUserApp } from "./support/user-app.js";

/**
 * The stores as they were before the secret: the same code, with the
 * unkeyed derivation of earlier builds (`sha256("hattip-session/user:" +
 * userId)`, its first 16 characters the tag). A store made with this
 * "secret" writes the layout those builds wrote.
 */
const { UNKEYED } = vi.hoisted(() => ({ UNKEYED: "unkeyed, as before the secret: no secret at all" }));
vi.mock("../src/stores/session-id.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/stores/session-id.js")>();
  const { createHash: sha256 } = await import("node:crypto");
  const unkeyed = async (userId: string) => {
    const hash = sha256("sha256").update(`hattip-session/user:${userId}`, "utf8").digest("base64url");
    return { hash, tag: hash.slice(0, 16) };
  };
  return {
    ...real,
    userTagger: (secret: string) =>
      secret === UNKEYED
        ? {
            indexed: async (userId: unknown) => ({ id: real.checkedUserId(userId), ...(await unkeyed(real.checkedUserId(userId))) }),
            tag: async (userId: string) => (await unkeyed(userId)).tag,
            hash: async (userId: string) => (await unkeyed(userId)).hash,
            isTagOf: async (userId: string, tag: string) => (await unkeyed(userId)).tag === tag,
          }
        : real.userTagger(secret),
  };
});

const stores = useEveryStore().filter((kit) => kit.tagsUsers);
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

/** Who signs in: the starters' demo user, an e-mail address, a plain name. */
const USERS = ["demo", "ada@example.com", "alice"];
/** What the attacker tries: common names and addresses, the users above among them. */
const DICTIONARY = ["admin", "root", "test", "user", "demo", "alice", "bob", "ada", "ada@example.com", "demo@example.com", "alice@example.com"];

/** The users of the dictionary whose derived forms appear in any of `seen`. */
async function recovered(seen: string[], derive: (candidate: string) => Promise<string[]>): Promise<string[]> {
  const found: string[] = [];
  for (const candidate of DICTIONARY) {
    const forms = await derive(candidate);
    if (seen.some((name) => forms.some((form) => name.includes(form)))) found.push(candidate);
  }
  return found.sort();
}

/** An attacker without the secret: SHA-256 of the user ID, with the package's label or without, whole or cut to a tag. */
async function unkeyedForms(candidate: string): Promise<string[]> {
  return [`hattip-session/user:${candidate}`, candidate, candidate.toLowerCase()]
    .map((text) => createHash("sha256").update(text, "utf8").digest("base64url"))
    .flatMap((digest) => [digest, digest.slice(0, 16)]);
}

/** The deployment itself, which holds the secret. */
function keyedForms(secret: string) {
  const tagger = userTagger(secret);
  return async (candidate: string) => [await tagger.tag(candidate), await tagger.hash(candidate)];
}

async function serve(store: SessionStore) {
  const served = await serveUserApp({ store });
  running.push(served);
  return served;
}

/** A browser that signs in as `user` and returns its session ID. */
async function signIn(served: Served, user: string): Promise<{ browser: CookieClient; id: string }> {
  const browser = new CookieClient(served.url);
  const response = await browser.get(`/login?user=${encodeURIComponent(user)}`);
  expect(response.status, response.body).toBe(200);
  return { browser, id: browser.jar.get("session")! };
}

async function whoami(browser: CookieClient): Promise<{ user: string | null; isFresh: boolean }> {
  return JSON.parse((await browser.get("/whoami")).body);
}

/** The parts of names long enough to carry a tag or a hash (16+ characters), the place they sit in cut off. */
function longParts(names: string[], place: string): Set<string> {
  return new Set(
    names
      .flatMap((name) => (name.startsWith(`${place}:`) ? name.slice(place.length + 1) : name).split(/[^A-Za-z0-9_-]+/))
      .filter((part) => part.length >= 16),
  );
}

describe.each(stores)("the user tag of $name", (kit) => {
  it("a dictionary of user names and e-mail addresses recovers no user from bound session IDs or from the names the backend keeps", async () => {
    const place = crypto.randomUUID();
    const served = await serve(await kit.make({ place }));
    const ids: string[] = [];
    for (const user of USERS) ids.push((await signIn(served, user)).id);
    const names = await kit.namesAt!(place);

    expect.soft(await recovered(ids, unkeyedForms), "users recovered from the session IDs").toEqual([]);
    expect.soft(await recovered(names, unkeyedForms), "users recovered from the names in the backend").toEqual([]);
    // Both do carry each user, keyed: the deployment, which holds the secret, finds every one of them.
    expect(await recovered(ids, keyedForms(userTagSecret))).toEqual([...USERS].sort());
    expect(await recovered(names, keyedForms(userTagSecret))).toEqual([...USERS].sort());
  });

  it("gives one user different tags and index names in two deployments with different secrets: their sessions do not link", async () => {
    const [east, west] = [crypto.randomUUID(), crypto.randomUUID()];
    const first = await signIn(await serve(await kit.make({ place: east, userTagSecret: "the first deployment's secret, 32+ chars" })), "demo");
    const second = await signIn(await serve(await kit.make({ place: west, userTagSecret: "the second deployment's secret, 32+ chars" })), "demo");

    expect(splitSessionId(first.id).tag).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(splitSessionId(second.id).tag).not.toBe(splitSessionId(first.id).tag);
    const seenWest = longParts([second.id, ...(await kit.namesAt!(west))], west);
    const shared = [...longParts([first.id, ...(await kit.namesAt!(east))], east)].filter((part) => seenWest.has(part));
    expect(shared).toEqual([]);
  });

  it("ends a session bound before the secret, under the unkeyed tag: it loads as a fresh session and is destroyed", async () => {
    const place = crypto.randomUUID();
    const before = await kit.make({ place, userTagSecret: UNKEYED });
    const { browser, id } = await signIn(await serve(before), "demo");
    // What earlier builds wrote: the unkeyed tag in the ID, a session that loads.
    expect(splitSessionId(id).tag).toBe((await unkeyedForms("demo"))[1]);
    expect(await whoami(browser)).toEqual({ user: "demo", isFresh: false });

    const after = await kit.make({ place });
    const upgraded = await serve(after);
    const onUpgraded = new CookieClient(upgraded.url);
    onUpgraded.jar.set("session", id);
    expect(await whoami(onUpgraded)).toEqual({ user: null, isFresh: true });
    // Destroyed, not only refused: the store as it was before the upgrade no longer finds it either.
    expect(await before.load(id, {} as never)).toBeNull();

    // Signed in again, the user has a keyed tag, and revoking the user ends that session.
    const again = await signIn(upgraded, "demo");
    expect(splitSessionId(again.id).tag).toBe(await userTagger(userTagSecret).tag("demo"));
    await (after as SessionStore & UserSessionIndex).revokeUserSessions("demo");
    expect(await whoami(again.browser)).toEqual({ user: null, isFresh: true });
  });

  it("ends every bound session when the secret changes: each loads as a fresh session and is destroyed", async () => {
    const place = crypto.randomUUID();
    const old = await kit.make({ place, userTagSecret: "the secret before the rotation, 32+ chars" });
    const { id } = await signIn(await serve(old), "ada@example.com");
    const rotated = new CookieClient((await serve(await kit.make({ place, userTagSecret: "the secret after the rotation, 32+ chars!" }))).url);
    rotated.jar.set("session", id);
    expect(await whoami(rotated)).toEqual({ user: null, isFresh: true });
    expect(await old.load(id, {} as never)).toBeNull();
  });

  it("without userTagSecret, refuses to bind a user at bindUser() with a SessionSetupError naming it, and to list or revoke; anonymous sessions work", async () => {
    const store = (await kit.make({ userTagSecret: null })) as SessionStore & UserSessionIndex;
    const browser = new CookieClient((await serve(store)).url);
    expect((await browser.get("/change")).status).toBe(200);
    const anonymous = browser.jar.get("session");

    const login = await browser.get("/login?user=demo");
    expect(login.status).toBe(500);
    expect(JSON.parse(login.body)).toEqual({ code: "ERR_SESSION_SETUP", message: expect.stringContaining("userTagSecret") });
    expect(browser.jar.get("session")).toBe(anonymous);
    expect(await whoami(browser)).toEqual({ user: null, isFresh: false });

    await expect(store.listUserSessions("demo")).rejects.toThrow(SessionSetupError);
    await expect(store.revokeUserSessions("demo")).rejects.toThrow(/pass `userTagSecret: process.env.SESSION_TAG_SECRET`/);
    await expect(store.revokeUserSession("demo", "A".repeat(22))).rejects.toThrow(SessionSetupError);
  });

  it("without userTagSecret, meeting a session bound under one (a deployment that lost its secret) answers a SessionSetupError naming it, and keeps the session for when the secret is back", async () => {
    const place = crypto.randomUUID();
    const { id } = await signIn(await serve(await kit.make({ place })), "demo");
    const lost = new CookieClient((await serve(await kit.make({ place, userTagSecret: null }))).url);
    lost.jar.set("session", id);
    const response = await lost.get("/whoami");
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ code: "ERR_SESSION_SETUP", message: expect.stringContaining("userTagSecret") });

    const restored = new CookieClient((await serve(await kit.make({ place }))).url);
    restored.jar.set("session", id);
    expect(await whoami(restored)).toEqual({ user: "demo", isFresh: false });
  });
});

describe("the keyed forms of a user ID", () => {
  const secret = "a deployment's secret of 32+ characters";
  const ids = ["demo", "ada@example.com", 'żółw 🐢 \u0000 "quoted"', "x".repeat(512)];
  const hmac = (label: string, id: string) =>
    createHmac("sha256", Buffer.from(secret, "utf8")).update(`${label}\u0000${id}`, "utf8").digest("base64url");

  it.each(CRYPTO_PATHS)("are HMAC-SHA-256 under the secret, the tag and the index name under two labels (%s crypto)", async (path) => {
    const tagger = onPath(path, () => userTagger(secret));
    for (const id of ids) {
      expect(await tagger.tag(id)).toBe(hmac("hattip-session/user-tag", id).slice(0, 16));
      expect(await tagger.hash(id)).toBe(hmac("hattip-session/user-index", id));
      expect(await tagger.indexed(id)).toEqual({ id, tag: await tagger.tag(id), hash: await tagger.hash(id) });
      // Two labels: the tag is not the start of the index name, as it was when both came from one hash.
      expect((await tagger.hash(id)).startsWith(await tagger.tag(id))).toBe(false);
    }
  });
});
