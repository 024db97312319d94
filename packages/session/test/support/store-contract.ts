/**
 * Runs the one store contract (test-runtimes/suite/store-contract.ts, also
 * run by every runtime of `npm run test:runtimes`) under vitest, against a
 * store set up once per suite: a real Redis, a Cluster, KV through
 * Miniflare, or an in-process store.
 */
import type { RequestContext } from "@hattip/compose";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { SessionStore } from "../../src/index.js";
import { storeContract, type Data, type StoreSubject } from "../../test-runtimes/suite/store-contract.js";

export interface StoreUnderTest {
  store: SessionStore<Data>;
  /** Passed to every store call; defaults to an empty context. */
  ctx?: RequestContext;
  teardown?: () => Promise<void>;
  /** A store on the same backend as `store`, made with this `userTagSecret` instead (StoreSubject.withUserTagSecret). */
  withUserTagSecret?: (userTagSecret: string | undefined) => SessionStore<Data>;
}

/** The subject, and whether its bound sessions carry their user's tag (then its setup gives `withUserTagSecret`). */
type Subject = Omit<StoreSubject, "make" | "withUserTagSecret"> & { tagsUsers?: boolean };

export function describeStoreContract(subject: Subject, setup: () => Promise<StoreUnderTest>): void {
  describe(`${subject.name} honours the store contract`, () => {
    let underTest: StoreUnderTest | undefined;
    beforeAll(async () => {
      underTest = await setup();
    });
    afterAll(() => underTest?.teardown?.());
    const make = async () => {
      if (!underTest) throw new Error("the store's setup failed");
      return underTest.store;
    };
    const withUserTagSecret = async (secret: string | undefined) => {
      if (!underTest?.withUserTagSecret) throw new Error("the store's setup failed");
      return underTest.withUserTagSecret(secret);
    };
    storeContract(
      { test: (name, body) => it(name, body) },
      { ...subject, make, ...(subject.tagsUsers ? { withUserTagSecret } : {}) },
      () => underTest?.ctx ?? ({} as RequestContext),
    );
  });
}
