/**
 * The store contract (test/support/store-contract.ts), checked inside
 * workerd: KV bindings exist only there, so the checks run in the worker
 * and report back, one result per rule.
 */
import type { RequestContext } from "@hattip/compose";
import type { SessionStore } from "hattip-session";

export interface ContractResult {
  name: string;
  ok: boolean;
  detail?: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runStoreContract(store: SessionStore<any>, ctx: RequestContext): Promise<ContractResult[]> {
  const data = { user: "ada", roles: ["admin"], nested: { n: 1, unicode: "żółw 🐢" } };
  const checks: Record<string, () => Promise<unknown>> = {
    async "loads what it saved"() {
      const id = await store.save(null, data, 60_000, ctx);
      return same(await store.load(id, ctx), data) || "loaded something else";
    },
    async "returns a copy, not the object it was given"() {
      const original = structuredClone(data);
      const id = await store.save(null, original, 60_000, ctx);
      original.roles.push("intruder");
      const loaded = await store.load(id, ctx);
      if (!same(loaded, data)) return "a change after save leaked into the store";
      loaded.roles.push("changed after load");
      return same(await store.load(id, ctx), data) || "a change after load leaked into the store";
    },
    async "forgets a session once its max age has passed, though KV keeps the key for 60 s"() {
      const id = await store.save(null, data, 300, ctx);
      if (!same(await store.load(id, ctx), data)) return "not loaded before expiry";
      await pause(700);
      return (await store.load(id, ctx)) === null || "still loaded after expiry";
    },
    async "never adopts an ID the client made up"() {
      const chosen = "attacker-chosen-session-id";
      const id = await store.save(chosen, data, 60_000, ctx);
      return (id !== chosen && (await store.load(chosen, ctx)) === null) || "adopted the chosen ID";
    },
    async "gives null for unknown and malformed IDs"() {
      for (const id of ["", "nope", "x".repeat(5000), "%%%", "a.b.c", "\u0000", "A".repeat(43)]) {
        if ((await store.load(id, ctx)) !== null) return `loaded ${JSON.stringify(id.slice(0, 20))}`;
      }
      return true;
    },
    async "keeps the timestamps of a record"() {
      const createdAt = Date.now() - 5_000;
      const expiresAt = Date.now() + 60_000;
      const id = await store.saveRecord!(null, { data, createdAt, expiresAt }, ctx);
      return same(await store.loadRecord!(id, ctx), { data, createdAt, expiresAt }) || "timestamps changed";
    },
    async "rejects a record whose deadline has passed"() {
      const id = await store.saveRecord!(null, { data, createdAt: Date.now() - 1_000, expiresAt: Date.now() + 200 }, ctx);
      await pause(500);
      return (await store.loadRecord!(id, ctx)) === null || "expired record loaded";
    },
    async "destroy() forgets the session"() {
      const id = await store.save(null, data, 60_000, ctx);
      await store.destroy(id, ctx);
      return (await store.load(id, ctx)) === null || "destroyed session loaded";
    },
    async "does not revive a destroyed session on a later save"() {
      const id = await store.save(null, data, 60_000, ctx);
      await store.destroy(id, ctx);
      await store.save(id, { ...data, revived: true }, 60_000, ctx);
      return (await store.load(id, ctx)) === null || "destroyed session came back";
    },
  };
  const results: ContractResult[] = [];
  for (const [name, check] of Object.entries(checks)) {
    try {
      const outcome = await check();
      results.push(outcome === true ? { name, ok: true } : { name, ok: false, detail: String(outcome) });
    } catch (error) {
      results.push({ name, ok: false, detail: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  }
  return results;
}
