import { EncryptedCookieStore, SignedCookieStore, UnsafeMemoryStore, UnsignedCookieStore } from "../src/index.js";
import { describeStoreContract } from "./support/store-contract.js";

describeStoreContract({ name: "UnsafeMemoryStore", revocable: true, indexesUsers: true }, async () => ({ store: new UnsafeMemoryStore() }));

describeStoreContract({ name: "SignedCookieStore", revocable: false }, async () => ({
  store: new SignedCookieStore([await SignedCookieStore.generateKey()]),
}));

describeStoreContract({ name: "EncryptedCookieStore", revocable: false }, async () => ({
  store: new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]),
}));

describeStoreContract({ name: "UnsignedCookieStore", revocable: false }, async () => ({ store: new UnsignedCookieStore() }));
