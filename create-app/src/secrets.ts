import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Example files a template may ship, and the file that platform's local dev
 * reads: `.env` (Vercel, Netlify, Node) and `.dev.vars` (wrangler).
 */
const EXAMPLE_FILES = [
  { example: ".env.example", local: ".env" },
  { example: ".dev.vars.example", local: ".dev.vars" },
];

/** Variables that hold key material: SESSION_KEY, COOKIE_KEYS, SESSION_SECRET, ... */
const SECRET_NAME = /(?:^|_)(?:KEY|KEYS|SECRET|SECRETS)$/;

/** 32 random bytes from Web Crypto, base64url: a valid HMAC-SHA-256 or AES-256-GCM key. */
export function generateSecretKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Buffer.from(bytes).toString("base64url");
}

/**
 * Writes each example file's local counterpart with a fresh key in every
 * secret variable, so no two apps share a key and none comes from the template.
 * Returns the files written, relative to `appDir`.
 */
export function writeLocalSecrets(appDir: string): string[] {
  const written: string[] = [];
  for (const { example, local } of EXAMPLE_FILES) {
    const examplePath = join(appDir, example);
    if (!existsSync(examplePath) || existsSync(join(appDir, local))) continue;
    const { text, filled } = fillSecrets(readFileSync(examplePath, "utf8"));
    if (filled === 0) continue;
    writeFileSync(join(appDir, local), text, { mode: 0o600 });
    written.push(local);
  }
  return written;
}

export function fillSecrets(exampleText: string): { text: string; filled: number } {
  let filled = 0;
  const text = exampleText.replace(
    /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=)(.*)$/gm,
    (line, prefix: string, name: string, equals: string) => {
      if (!SECRET_NAME.test(name.toUpperCase())) return line;
      filled++;
      return `${prefix}${name}${equals}${generateSecretKey()}`;
    },
  );
  return { text, filled };
}
