/**
 * The base of the server-side stores (src/stores/external-store.ts), seen
 * through a store of a few lines written on it: the shared options are
 * checked, the new-ID retries are bounded, and the per-user index's
 * user-ID and handle checks and its list cap come for free, before the
 * store's own code ever runs. Then the same of every bundled server store:
 * each is built on the base, and none of them checks user IDs or handles
 * by itself.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DurableObjectSessionStore,
  KvSessionStore,
  MAX_LISTED_USER_SESSIONS,
  NetlifyBlobsSessionStore,
  PostgresSessionStore,
  RedisSessionStore,
  SessionSetupError,
  UnsafeMemoryStore,
  type SessionRecord,
  type UserSessionInfo,
} from "../src/index.js";
import type { StoredEntry } from "../src/record-store.js";
import type { NewId } from "../src/stores/external-keys.js";
import { ExternalStore, ID_TAKEN, type ExternalStoreOptions } from "../src/stores/external-store.js";
import { textToRecord } from "../src/stores/record-text.js";
import { handleFromIdHash, type IndexedUser } from "../src/stores/session-id.js";
import { userSessionInfo } from "../src/stores/user-sessions.js";
import { describeStoreContract } from "./support/store-contract.js";
import { userTagSecret } from "../test-runtimes/suite/user-tag-secret.js";

type Data = Record<string, unknown>;

interface Row {
  text: string;
  expiresAt: number;
  user: string | undefined;
  handle: string | undefined;
}

/**
 * A whole server-side store on the base, in a Map: no user-ID check, no
 * handle check, no cap and no retry loop of its own. Its hooks note what
 * reaches them.
 */
class ToyStore extends ExternalStore<Data> {
  readonly reached: string[] = [];
  readonly #rows: Map<string, Row>;

  /** `rows`: where it keeps its sessions, shared by two toy stores given the same map. */
  constructor(options: ExternalStoreOptions<Data> & { timeout?: number } = {}, rows = new Map<string, Row>()) {
    super({ userTagSecret, ...options }, { name: "ToyStore", prefix: "toy:", timeout: 1000 });
    this.#rows = rows;
  }

  protected async readEntry(id: string): Promise<StoredEntry<Data> | null> {
    const row = await this.#row(id);
    return row ? textToRecord(row.text, this.keys.serializer, Date.now()) : null;
  }

  createRecord(record: SessionRecord<Data>): Promise<string> {
    return this.withNewId(record.meta?.user, async (fresh: NewId) => {
      if (this.#rows.has(fresh.key)) return ID_TAKEN;
      this.#rows.set(fresh.key, await this.#rowOf(record, fresh.idHash));
      return fresh.id;
    });
  }

  async updateRecord(id: string, record: SessionRecord<Data>): Promise<string | null> {
    const where = await this.keys.locate(id);
    if (where === null || !(await this.#row(id))) return null;
    this.#rows.set(where.key, await this.#rowOf(record, where.idHash));
    return id;
  }

  async destroyRecord(id: string): Promise<boolean> {
    const where = await this.keys.locate(id);
    const live = (await this.#row(id)) !== undefined;
    if (where) this.#rows.delete(where.key);
    return live;
  }

  /** Every session of the user, with no regard to the limit. */
  protected async listSessionsOf(user: IndexedUser): Promise<UserSessionInfo[]> {
    this.reached.push(`list ${user.id}`);
    const listed: UserSessionInfo[] = [];
    for (const row of this.#rows.values()) {
      const entry = row.user === user.id && row.handle ? textToRecord(row.text, this.keys.serializer, Date.now()) : null;
      const info = entry && userSessionInfo(user.id, row.handle!, entry.record);
      if (info) listed.push(info);
    }
    return listed;
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string): Promise<void> {
    this.reached.push(`revoke ${user.id} ${handle}`);
    for (const [key, row] of this.#rows) if (row.user === user.id && row.handle === handle) this.#rows.delete(key);
  }

  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined): Promise<void> {
    this.reached.push(`revoke all ${user.id} but ${String(exceptHandle)}`);
    for (const [key, row] of this.#rows) if (row.user === user.id && row.handle !== exceptHandle) this.#rows.delete(key);
  }

  async #row(id: string): Promise<Row | undefined> {
    const where = await this.keys.locate(id);
    const row = where ? this.#rows.get(where.key) : undefined;
    return row && row.expiresAt > Date.now() ? row : undefined;
  }

  async #rowOf(record: SessionRecord<Data>, idHash: string): Promise<Row> {
    const user = record.meta?.user;
    return {
      text: this.recordText(record),
      expiresAt: record.expiresAt,
      user,
      handle: user === undefined ? undefined : await handleFromIdHash(idHash),
    };
  }
}

const bound = (user: string, agent: string, expiresIn = 60_000): SessionRecord<Data> => {
  const now = Date.now();
  return { data: { user }, createdAt: now, expiresAt: now + expiresIn, meta: { user, agent, seenAt: now } };
};

// The whole contract, user-index rules included, on a store that wrote none of those checks.
describeStoreContract({ name: "A toy store on ExternalStore", revocable: true, indexesUsers: true, tagsUsers: true }, async () => {
  const rows = new Map<string, Row>();
  return { store: new ToyStore({}, rows), withUserTagSecret: (secret) => new ToyStore({ userTagSecret: secret }, rows) };
});

describe("a store on ExternalStore gets the user-index checks for free", () => {
  it("refuses a bad user ID with a TypeError before any of its own code runs", async () => {
    const store = new ToyStore();
    for (const bad of [undefined, null, 7, { id: "ada" }, ["ada"], "", "x".repeat(513)] as unknown as string[]) {
      await expect(store.listUserSessions(bad)).rejects.toThrow(TypeError);
      await expect(store.revokeUserSession(bad, "A".repeat(22))).rejects.toThrow(/non-empty string/);
      await expect(store.revokeUserSessions(bad)).rejects.toThrow(TypeError);
    }
    expect(store.reached).toEqual([]);
  });

  it("never hands its revoke a handle that is not shaped like one, and hands a malformed handle to keep as none", async () => {
    const store = new ToyStore();
    const id = await store.createRecord(bound("ada", "A"));
    const handle = await store.sessionHandle(id);
    for (const bad of [undefined, 42, {}, [handle], "forged", `${handle}=`] as unknown as string[]) await store.revokeUserSession("ada", bad);
    expect(store.reached).toEqual([]);
    await store.revokeUserSession("ada", handle);
    await store.revokeUserSessions("ada", undefined, "not-a-handle");
    await store.revokeUserSessions("ada", undefined, handle);
    expect(store.reached).toEqual([`revoke ada ${handle}`, "revoke all ada but undefined", `revoke all ada but ${handle}`]);
  });

  it(`lists at most ${MAX_LISTED_USER_SESSIONS} sessions, those with the latest deadlines, even when its hook returns them all`, async () => {
    const store = new ToyStore();
    const early = await store.createRecord(bound("ada", "early", 30_000));
    for (let i = 0; i < MAX_LISTED_USER_SESSIONS + 20; i++) await store.createRecord(bound("ada", `device ${i}`, 60_000 + i));
    const listed = await store.listUserSessions("ada");
    expect(listed).toHaveLength(MAX_LISTED_USER_SESSIONS);
    expect(listed.map((session) => session.device)).not.toContain("early");
    expect(listed.map((session) => session.device)).not.toContain("device 19");
    expect(listed.map((session) => session.device)).toContain("device 20");
    const createdAt = listed.map((session) => session.createdAt);
    expect(createdAt).toEqual([...createdAt].sort((a, b) => a - b));
    await store.revokeUserSessions("ada");
    expect(await store.load(early, {} as never)).toBeNull();
  });

  it("tries a new ID three times, then calls a generateId that keeps colliding not random enough", async () => {
    let made = 0;
    const store = new ToyStore({ generateId: () => (made++, "same-id"), validateId: (id) => id === "same-id" });
    expect(await store.createRecord(bound("ada", "A"))).toMatch(/^same-id\./);
    expect(await store.createRecord({ data: {}, createdAt: 0, expiresAt: Date.now() + 1000 })).toBe("same-id");
    made = 0;
    const failure = store.createRecord({ data: {}, createdAt: 0, expiresAt: Date.now() + 1000 });
    await expect(failure).rejects.toThrow(SessionSetupError);
    await expect(failure).rejects.toThrow(/3 times in a row: it is not random enough/);
    expect(made).toBe(3);
  });

  it.each([
    ["a timeout of 0", { timeout: 0 }, /timeout/],
    ["a negative timeout", { timeout: -5 }, /timeout/],
    ["a timeout of Infinity (setTimeout would fire at once)", { timeout: Number.POSITIVE_INFINITY }, /timeout/],
    ["a timeout past setTimeout's ceiling", { timeout: 2 ** 31 }, /timeout/],
    ["a timeout given as text", { timeout: "2000" as unknown as number }, /timeout/],
    ["a prefix that is not a string", { prefix: 42 as unknown as string }, /prefix/],
    ["a custom generateId without validateId", { generateId: () => crypto.randomUUID() }, /validateId/],
    ["a generateId that is not a function", { generateId: "abc" as unknown as () => string, validateId: () => true }, /generateId/],
  ])("refuses %s at construction with a SessionSetupError", (_, options, message) => {
    expect(() => new ToyStore(options)).toThrow(SessionSetupError);
    expect(() => new ToyStore(options)).toThrow(message);
  });
});

describe("every bundled server store is built on ExternalStore", () => {
  const client = { query: async () => ({ rows: [], rowCount: 0 }) };
  const stores = [
    new UnsafeMemoryStore(),
    new RedisSessionStore({ userTagSecret, getClient: () => ({}) as never }),
    new KvSessionStore({ userTagSecret, getStore: () => ({}) as never }),
    new DurableObjectSessionStore({ userTagSecret, getNamespace: () => ({}) as never }),
    new PostgresSessionStore({ userTagSecret, client }),
    new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => ({}) as never }),
  ];

  it.each(stores.map((store) => [store.constructor.name, store] as const))("%s extends it", (_, store) => {
    expect(store).toBeInstanceOf(ExternalStore);
  });

  it("and none checks user IDs or handles, or lists and revokes, or loads past the binding check, by itself: the base does, once", () => {
    const dir = fileURLToPath(new URL("../src/stores/", import.meta.url));
    const checks = /\b(?:checkedUserId|userTagger|keyedHash|isSessionHandle)\(|\bHANDLE_PATTERN\b/;
    const userIndexMethods = /^\s*(?:async\s+)?(?:listUserSessions|revokeUserSessions?|sessionHandle)\(/m;
    const offenders: string[] = [];
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".ts") && name !== "external-store.ts")) {
      const text = readFileSync(join(dir, file), "utf8");
      // session-id.ts is where the checks are defined.
      if (file !== "session-id.ts" && checks.test(text)) offenders.push(`${file} checks by itself`);
      if (userIndexMethods.test(text)) offenders.push(`${file} defines a public user-index method`);
      // The base's loadEntry checks a bound session's tag before it is served; a store writes readEntry.
      if (/extends ExternalStore</.test(text) && /^\s*(?:async\s+)?loadEntry\(/m.test(text)) offenders.push(`${file} defines loadEntry`);
    }
    expect(offenders).toEqual([]);
  });

  it("and a PostgreSQL, Durable Objects or Netlify Blobs store refuses a bad user ID before it calls its backend", async () => {
    let queries = 0;
    const postgres = new PostgresSessionStore({ userTagSecret, client: { query: async () => (queries++, { rows: [], rowCount: 0 }) } });
    let namespaceAsked = 0;
    const objects = new DurableObjectSessionStore({ userTagSecret, getNamespace: () => (namespaceAsked++, {}) as never });
    let blobsAsked = 0;
    const blobs = new NetlifyBlobsSessionStore({ userTagSecret, getStore: () => (blobsAsked++, {}) as never });
    for (const store of [postgres, objects, blobs]) {
      await expect(store.revokeUserSessions(undefined as never)).rejects.toThrow(TypeError);
      await expect(store.revokeUserSessions({ id: "42" } as never)).rejects.toThrow(TypeError);
      await expect(store.listUserSessions("")).rejects.toThrow(TypeError);
    }
    expect({ queries, namespaceAsked, blobsAsked }).toEqual({ queries: 0, namespaceAsked: 0, blobsAsked: 0 });
  });
});
