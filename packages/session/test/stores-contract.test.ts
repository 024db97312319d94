import {
  EncryptedCookieStore,
  SignedCookieStore,
  UnsafeMemoryStore,
  UnsignedCookieStore,
} from "../src/index.js";
import { describeStoreContract } from "./support/store-contract.js";

describeStoreContract("UnsafeMemoryStore", async () => ({ store: new UnsafeMemoryStore(), revocable: true }));

describeStoreContract("SignedCookieStore", async () => ({
  store: new SignedCookieStore([await SignedCookieStore.generateKey()]),
  revocable: false,
}));

describeStoreContract("EncryptedCookieStore", async () => ({
  store: new EncryptedCookieStore([await EncryptedCookieStore.generateKey()]),
  revocable: false,
}));

describeStoreContract("UnsignedCookieStore", async () => ({
  store: new UnsignedCookieStore(),
  revocable: false,
  enforcesExpiry: false,
}));
