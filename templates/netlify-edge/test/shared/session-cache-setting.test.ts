// SESSION_CACHE_KEYS as the apps with a session cache read it: keys newest first, or a message that says how to make one.
import { describe, expect, it } from "vitest";
import { SESSION_CACHE_MAX_AGE_SECONDS, sessionCacheFromSetting } from "../../src/session-cache.ts";

const key = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

describe("the SESSION_CACHE_KEYS setting", () => {
  it("gives the cache its keys, newest first, and the documented maxAge", async () => {
    const cache = await sessionCacheFromSetting(` ${key()} , ${key()}`);
    expect(cache.keys).toHaveLength(2);
    expect(cache.keys.every((each) => each.algorithm.name === "AES-GCM")).toBe(true);
    expect(cache.maxAge).toBe(SESSION_CACHE_MAX_AGE_SECONDS);
  });

  it("is required, and refuses what is not a key, saying how to make one", async () => {
    for (const missing of [undefined, "", " , "])
      await expect(sessionCacheFromSetting(missing)).rejects.toThrow(/SESSION_CACHE_KEYS is not set.*randomBytes/);
    await expect(sessionCacheFromSetting("not-a-key")).rejects.toThrow(
      /SESSION_CACHE_KEYS holds a key that is not a base64url AES-256 key.*randomBytes/,
    );
  });
});
