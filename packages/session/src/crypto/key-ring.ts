/**
 * A store's keys, each under a short identifier that every value it
 * protects carries in clear. A load looks the key up by that identifier
 * and runs exactly one verify or decrypt, however long the rotation list;
 * a value naming no key of the list is refused before any crypto.
 *
 * The identifier is cut from the key's own output on a fixed label
 * (HMAC of it; the GCM tag of an empty message), so it works for keys
 * that are not extractable, is the same on every runtime and crypto path,
 * and reveals nothing of the key.
 */
import { SessionKeyError } from "../errors.js";
import { aesKey, type AesKey } from "./aes-gcm.js";
import { decodeBase64Url } from "./base64url.js";
import { hmacKey, type HmacKey } from "./hmac.js";
import type { KeyList } from "./keys.js";
import { nativeCrypto } from "./native.js";
import { KEY_ID_LABEL } from "./purpose.js";

/** Eight base64url characters: six bytes, no padding bits. */
export const KEY_ID_LENGTH = 8;

export interface KeyRing<Key> {
  /** The key that signs or encrypts (the first of the list), with its identifier. */
  readonly current: { readonly id: string; readonly idBytes: Uint8Array; readonly key: Key };
  /** A key by its identifier, or `undefined` for one the list does not hold. */
  find(id: string): Key | undefined;
  /** Which crypto path each key of the list runs on, in list order. */
  readonly paths: readonly ("native" | "web")[];
}

type Entry<Key> = { id: string; idBytes: Uint8Array; key: Key };

/**
 * The ring of `keys`: at once when every key runs on the native path (its
 * identifier is then computed synchronously), otherwise as a promise.
 * Either way, two keys with the same identifier are a `SessionKeyError`.
 */
export function hmacKeyRing(keys: KeyList, storeName: string): KeyRing<HmacKey> | Promise<KeyRing<HmacKey>> {
  const native = nativeCrypto();
  return buildRing(
    keys.map((key) => hmacKey(key, native)),
    (key) => key.sign(new Uint8Array(0), ASCII_LABEL),
    storeName,
  );
}

export function aesKeyRing(keys: KeyList, storeName: string): KeyRing<AesKey> | Promise<KeyRing<AesKey>> {
  const native = nativeCrypto();
  return buildRing(
    keys.map((key) => aesKey(key, native)),
    (key) => key.fingerprint(KEY_ID_LABEL),
    storeName,
  );
}

const ASCII_LABEL = String.fromCharCode(...KEY_ID_LABEL);

function buildRing<Key extends { path: "native" | "web" }>(
  keys: Key[],
  fingerprint: (key: Key) => string | Promise<string>,
  storeName: string,
): KeyRing<Key> | Promise<KeyRing<Key>> {
  const prints = keys.map(fingerprint);
  const finish = (done: string[]) =>
    ring(
      keys.map((key, index) => {
        // The first six bytes of the fingerprint are its first eight base64url characters.
        const id = done[index]!.slice(0, KEY_ID_LENGTH);
        return { id, idBytes: decodeBase64Url(id)!, key };
      }),
      storeName,
    );
  return prints.every((print): print is string => typeof print === "string") ? finish(prints) : Promise.all(prints).then(finish);
}

function ring<Key extends { path: "native" | "web" }>(entries: Entry<Key>[], storeName: string): KeyRing<Key> {
  const byId = new Map<string, Key>();
  entries.forEach(({ id, key }, index) => {
    if (byId.has(id)) {
      const earlier = entries.findIndex((entry) => entry.id === id);
      throw new SessionKeyError(
        `${storeName} key #${index} has the same key ID as key #${earlier}: it is the same key listed twice (or, once in billions, ` +
          `two keys whose IDs collide). List each key once; if they differ, generate a new one.`,
      );
    }
    byId.set(id, key);
  });
  return {
    current: entries[0]!,
    find: (id) => byId.get(id),
    paths: entries.map((entry) => entry.key.path),
  };
}
