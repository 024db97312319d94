/**
 * `npm run dev`'s SESSION_KEYS: the environment's, else the one in `.env`,
 * else a new key for local development, written into `.env` (ignored by
 * git) so that a restart keeps everyone signed in. An empty SESSION_KEYS,
 * in the environment or in `.env` (as `.env.example` has it), counts as
 * none, and the new key fills that line rather than adding another.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { EncryptedCookieStore } from "hattip-session";

/** A line that sets SESSION_KEYS, empty or not. */
const SESSION_KEYS_LINE = /^[ \t]*(?:export[ \t]+)?SESSION_KEYS[ \t]*=/;

export async function devSessionKeys(
  envFile: string,
  environment: NodeJS.ProcessEnv,
  warn: (message: string) => void = console.warn,
): Promise<string> {
  const fromEnvironment = environment.SESSION_KEYS?.trim();
  if (fromEnvironment) return fromEnvironment;
  const text = existsSync(envFile) ? readFileSync(envFile, "utf8") : "";
  // .env's own value, which an empty SESSION_KEYS in the environment hides from process.loadEnvFile.
  const fromFile = (parseEnv(text) as Record<string, string | undefined>).SESSION_KEYS?.trim();
  if (fromFile) return fromFile;
  const key = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
  writeFileSync(envFile, withKey(text, key), { mode: 0o600 });
  warn("SESSION_KEYS was not set: a new key for local development is now in .env (ignored by git).");
  return key;
}

/** `text` with one `SESSION_KEYS=key` line: in place of the first (empty) one, the others dropped; or added at the end. */
function withKey(text: string, key: string): string {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((line) => SESSION_KEYS_LINE.test(line));
  if (first !== -1) {
    return lines.flatMap((line, index) => (index === first ? [`SESSION_KEYS=${key}`] : SESSION_KEYS_LINE.test(line) ? [] : [line])).join("\n");
  }
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  return `${text}${separator}\n# A key for local development, made by npm run dev. Never use it in production.\nSESSION_KEYS=${key}\n`;
}
