/**
 * SESSION_KEYS in development and at start: `npm run dev` fills an empty
 * `SESSION_KEYS=` line of `.env` instead of adding a second one, keeps the
 * key it wrote across restarts even when the environment holds an empty
 * SESSION_KEYS, and a key that cannot work is named with what is wrong
 * with it, with the way to make one said once.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { EncryptedCookieStore } from "hattip-session";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { devSessionKeys } from "../scripts/dev-session-keys.js";
import { importSessionKeys } from "../src/session-keys.js";

let dir: string;
let envFile: string;
const quiet = () => {};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dev-session-keys-"));
  envFile = join(dir, ".env");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const keyLines = async () => (await readFile(envFile, "utf8")).split("\n").filter((line) => /^\s*SESSION_KEYS\s*=/.test(line));

describe("npm run dev's SESSION_KEYS", () => {
  it("fills the empty SESSION_KEYS= line of a .env copied from .env.example, and keeps that key on the next start", async () => {
    await writeFile(envFile, "# Keys for the session cookie\nSESSION_KEYS=\n\n# USERS=alice:...\n");
    const first = await devSessionKeys(envFile, {}, quiet);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await keyLines()).toEqual([`SESSION_KEYS=${first}`]);
    expect(await readFile(envFile, "utf8")).toContain("# USERS=alice:...");

    const second = await devSessionKeys(envFile, parseEnv(await readFile(envFile, "utf8")), quiet);
    expect(second).toBe(first);
    expect(await keyLines()).toHaveLength(1);
  });

  it("with SESSION_KEYS= empty in the environment, writes one line and uses it on every later start", async () => {
    const first = await devSessionKeys(envFile, { SESSION_KEYS: "" }, quiet);
    const again = await devSessionKeys(envFile, { SESSION_KEYS: "" }, quiet);
    const thrice = await devSessionKeys(envFile, { SESSION_KEYS: "  " }, quiet);
    expect(again).toBe(first);
    expect(thrice).toBe(first);
    expect(await keyLines()).toEqual([`SESSION_KEYS=${first}`]);
  });

  it("leaves .env alone when the environment has a key", async () => {
    await writeFile(envFile, "SESSION_KEYS=\n");
    const key = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    expect(await devSessionKeys(envFile, { SESSION_KEYS: key }, quiet)).toBe(key);
    expect(await readFile(envFile, "utf8")).toBe("SESSION_KEYS=\n");
  });

  it("says once that it made a key", async () => {
    const said: string[] = [];
    await devSessionKeys(envFile, {}, (message) => said.push(message));
    await devSessionKeys(envFile, {}, (message) => said.push(message));
    expect(said).toEqual(["SESSION_KEYS was not set: a new key for local development is now in .env (ignored by git)."]);
  });
});

describe("a SESSION_KEYS that cannot work", () => {
  const messageOf = async (value: string) =>
    (await importSessionKeys(value).then(
      () => "",
      (error: Error) => error.message,
    )) as string;

  it("names a short key by its length, not as bad base64, and says how to make one once", async () => {
    for (const short of ["abc", "abcde", "dGVzdA", "c2hvcnQta2V5LTE2Ynl0ZQ"]) {
      const message = await messageOf(short);
      expect(message, short).toContain(`SESSION_KEYS key 1 of 1 is ${short.length} characters`);
      expect(message, short).toContain("an AES-256 key is 43 base64url characters (32 bytes)");
      expect(message, short).not.toContain("not valid base64");
      expect(message.match(/Make one with/g), short).toHaveLength(1);
    }
  });

  it("names a key with characters base64url does not have, and which key it is", async () => {
    const good = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    const message = await messageOf(`${good},not a key!`);
    expect(message).toContain("SESSION_KEYS key 2 of 2 is not base64url");
    expect(message.match(/Make one with/g)).toHaveLength(1);
  });

  it("says SESSION_KEYS is not set when it is empty", async () => {
    expect(await messageOf(" , ")).toMatch(/^SESSION_KEYS is not set\. Make one with/);
  });

  it("imports keys made by generate-key, newest first", async () => {
    const keys = await Promise.all([1, 2].map(async () => EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey())));
    await expect(importSessionKeys(keys.join(","))).resolves.toHaveLength(2);
  });
});
