// SESSION_TAG_SECRET as every app with a server-side store reads it: refused with a message that says how to make one.
import { describe, expect, it } from "vitest";
import { userTagSecretFromSetting } from "../../src/user-tag.js";

describe("the SESSION_TAG_SECRET setting", () => {
  it("is taken as given, trimmed, when it has 32 characters or more", () => {
    const secret = "k".repeat(32);
    expect(userTagSecretFromSetting(` ${secret}\n`)).toBe(secret);
  });

  it("is required, and the message says how to make one", () => {
    for (const missing of [undefined, "", "   "]) {
      expect(() => userTagSecretFromSetting(missing)).toThrow(/SESSION_TAG_SECRET is not set.*crypto\.randomBytes\(32\)/);
    }
  });

  it("refuses a short one, saying how long it is and needs to be", () => {
    expect(() => userTagSecretFromSetting("too-short")).toThrow("SESSION_TAG_SECRET is 9 characters long; it needs at least 32.");
  });
});
