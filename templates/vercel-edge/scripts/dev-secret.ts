/**
 * A secret for local development that survives restarts: the environment's,
 * else the one in `.env` (`.dev.vars` for wrangler dev), else a new one,
 * written into that file (ignored by git, readable by its owner only). An
 * empty value, in the environment or in the file (as the example file has
 * it), counts as none, and the new secret fills that line rather than adding
 * another. Production never comes here: a deployed app reads its secrets
 * from the host and refuses to run without.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseEnv } from "node:util";

export interface DevSecretOptions {
  envFile: string;
  environment: NodeJS.ProcessEnv;
  name: string;
  /** Makes a new value when there is none. */
  make: () => string | Promise<string>;
  /** What the value is, in the message that says one was made: "key", "secret". */
  called: string;
  /** The comment above a line added to `.env`. */
  comment: string;
  warn?: (message: string) => void;
}

export async function devSecret({ envFile, environment, name, make, called, comment, warn = console.warn }: DevSecretOptions): Promise<string> {
  const fromEnvironment = environment[name]?.trim();
  if (fromEnvironment) return fromEnvironment;
  const text = existsSync(envFile) ? readFileSync(envFile, "utf8") : "";
  // The file's own value, which an empty one in the environment hides from process.loadEnvFile.
  const fromFile = (parseEnv(text) as Record<string, string | undefined>)[name]?.trim();
  if (fromFile) return fromFile;
  const value = await make();
  writeFileSync(envFile, withLine(text, name, value, comment), { mode: 0o600 });
  // `mode` applies only to a new file: one that already existed becomes its owner's only too, now that it holds a secret.
  chmodSync(envFile, 0o600);
  warn(`${name} was not set: a new ${called} for local development is now in ${basename(envFile)} (ignored by git).`);
  return value;
}

/** 32 random bytes, base64url: a secret for an HMAC key. */
export function randomSecret(): string {
  let binary = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(32))) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `text` with one `name=value` line: in place of the first (empty) one, the others dropped; or added at the end. */
function withLine(text: string, name: string, value: string, comment: string): string {
  const setsIt = new RegExp(`^[ \\t]*(?:export[ \\t]+)?${name}[ \\t]*=`);
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((line) => setsIt.test(line));
  if (first !== -1) {
    return lines.flatMap((line, index) => (index === first ? [`${name}=${value}`] : setsIt.test(line) ? [] : [line])).join("\n");
  }
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  return `${text}${separator}\n# ${comment}\n${name}=${value}\n`;
}
