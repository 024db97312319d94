/**
 * The whole runtime-neutral suite. Each runtime's entry calls runSuite()
 * with its platform (and any store only it can host, like KV on workerd)
 * and reports the result as JSON.
 */
import type { RequestContext } from "@hattip/compose";
import { EncryptedCookieStore, SignedCookieStore, UnsafeMemoryStore, UnsignedCookieStore } from "hattip-session";
import { adapterContext, type Platform } from "./adapter-context.js";
import { cacheBehaviour, cacheSetupBehaviour } from "./cache-behaviour.js";
import { TestList, type SuiteReport } from "./harness.js";
import { eventsBehaviour } from "./events-behaviour.js";
import { cookieFeatureBehaviour, featureBehaviour } from "./feature-behaviour.js";
import { cookieStoreBehaviour, middlewareBehaviour } from "./middleware-behaviour.js";
import { cryptoPaths } from "./crypto-paths.js";
import { storeContract, type Data, type StoreSubject } from "./store-contract.js";

export type { Platform, StoreSubject, SuiteReport, Data, TestList };
export { adapterContext };
export { assert, assertEqual } from "./harness.js";

export interface SuiteOptions {
  platform: Platform;
  /** Stores that need the runtime's own bindings (KvSessionStore on workerd). */
  platformStores?: StoreSubject[];
  /** Tests only this runtime can run, added after the shared ones. */
  platformTests?: (tests: TestList) => void;
}

const bundledStores: StoreSubject[] = [
  { name: "UnsafeMemoryStore", make: async (telemetry) => new UnsafeMemoryStore<Data>({ ...telemetry }), revocable: true, indexesUsers: true },
  {
    name: "SignedCookieStore",
    make: async () => new SignedCookieStore<Data>([await SignedCookieStore.generateKey()]),
    revocable: false,
  },
  {
    name: "EncryptedCookieStore",
    make: async () => new EncryptedCookieStore<Data>([await EncryptedCookieStore.generateKey()]),
    revocable: false,
  },
];

const unsignedStore: StoreSubject = {
  name: "UnsignedCookieStore",
  make: async () => new UnsignedCookieStore<Data>(),
  revocable: false,
};

export async function runSuite({ platform, platformStores = [], platformTests }: SuiteOptions): Promise<SuiteReport> {
  const tests = new TestList();
  const storeCtx = () => adapterContext(new Request("http://app.test/"), platform) as RequestContext;
  for (const subject of [...bundledStores, unsignedStore, ...platformStores]) storeContract(tests, subject, storeCtx);
  for (const subject of [...bundledStores, ...platformStores]) middlewareBehaviour(tests, subject, platform);
  for (const subject of [...bundledStores, unsignedStore, ...platformStores]) featureBehaviour(tests, subject, platform);
  for (const subject of [...bundledStores, ...platformStores].filter((store) => store.indexesUsers)) cacheBehaviour(tests, subject, platform);
  cacheSetupBehaviour(tests);
  for (const subject of [...bundledStores, unsignedStore, ...platformStores]) eventsBehaviour(tests, subject, platform);
  cookieStoreBehaviour(tests, platform);
  cookieFeatureBehaviour(tests, platform);
  cryptoPaths(tests);
  platformTests?.(tests);

  const outcomes = await tests.run();
  const passed = outcomes.filter((outcome) => outcome.ok).length;
  return { passed, failed: outcomes.length - passed, outcomes, environment: describeEnvironment() };
}

/** Node-only globals are reported, so a runner can check that its runtime really lacks them. */
function describeEnvironment(): Record<string, string> {
  const global = globalThis as Record<string, unknown>;
  const navigatorLike = global["navigator"] as { userAgent?: string } | undefined;
  return {
    userAgent: navigatorLike?.userAgent ?? "none",
    Buffer: typeof global["Buffer"] === "function" ? "present" : "absent",
    process: typeof global["process"] === "object" ? "present" : "absent",
  };
}
