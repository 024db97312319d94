/**
 * Entry for workerd: a Worker whose fetch handler runs the suite, with the
 * platform a Hattip Workers adapter exposes (env holds the KV and Durable
 * Object bindings), KvSessionStore on that real KV binding and
 * DurableObjectSessionStore on real SQLite-backed Durable Objects of the
 * SessionDurableObject class this module exports, as an app's entry does.
 */
import { DurableObjectSessionStore, KvSessionStore, type DurableObjectNamespaceLike, type KvNamespaceLike } from "hattip-session";
import type { RequestContext } from "@hattip/compose";
import { adapterContext, assert, assertEqual, runSuite, type Data, type StoreSubject, type TestList } from "../suite/index.js";
import { userTagSecret } from "../suite/user-tag-secret.js";

export { SessionDurableObject } from "hattip-session";

interface Env {
  SESSIONS: KvNamespaceLike & { list(): Promise<{ keys: { name: string }[] }> };
  SESSION_OBJECTS: DurableObjectNamespaceLike;
}

const kv = (secret: string | undefined) =>
  new KvSessionStore<Data>({ userTagSecret: secret, getStore: (ctx) => (ctx.platform as { env: Env }).env.SESSIONS });
const kvStore: StoreSubject = {
  name: "KvSessionStore",
  make: async () => kv(userTagSecret),
  withUserTagSecret: async (secret) => kv(secret),
  revocable: true,
  indexesUsers: true,
};

const objects = (secret: string | undefined) =>
  new DurableObjectSessionStore<Data>({ userTagSecret: secret, getNamespace: (ctx) => (ctx!.platform as { env: Env }).env.SESSION_OBJECTS });
const durableObjectStore: StoreSubject = {
  name: "DurableObjectSessionStore",
  make: async () => objects(userTagSecret),
  withUserTagSecret: async (secret) => objects(secret),
  revocable: true,
  indexesUsers: true,
};

/** Proof that the store really writes to the binding, and what it writes there. */
function kvBindingTests(env: Env) {
  return (tests: TestList) =>
    tests.test("KvSessionStore keeps sessions in the KV binding, keyed by a hash of the ID, never the ID", async () => {
      const ctx = adapterContext(new Request("http://app.test/"), { name: "cloudflare-workers", env: env as unknown as Record<string, unknown> });
      const store = await kvStore.make();
      const before = new Set((await env.SESSIONS.list()).keys.map((key) => key.name));
      const id = await store.save(null, { user: "ada" }, 60_000, ctx as RequestContext);
      const added = (await env.SESSIONS.list()).keys.map((key) => key.name).filter((name) => !before.has(name));
      assertEqual(added.length, 1, "keys the save added to the binding");
      assert(!added[0]!.includes(id), "the KV key does not contain the session ID");
      const stored = await env.SESSIONS.get(added[0]!);
      assert(stored?.includes('"ada"') === true, `the KV value holds the data, got ${stored}`);
    });
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const platformStores = [kvStore, durableObjectStore];
    const report = await runSuite({
      platform: { name: "cloudflare-workers", env: env as unknown as Record<string, unknown> },
      platformStores,
      platformTests: kvBindingTests(env),
    });
    report.environment["platformStores"] = platformStores.map((store) => store.name).join(", ");
    return Response.json(report);
  },
};
