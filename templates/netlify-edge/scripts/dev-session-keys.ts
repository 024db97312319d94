/**
 * `npm run dev`'s SESSION_KEYS: the environment's, else the one in `.env`,
 * else a new key for local development, written into `.env` (ignored by
 * git) so that a restart keeps everyone signed in (dev-secret.ts).
 */
import { EncryptedCookieStore } from "hattip-session";
import { devSecret } from "./dev-secret.ts";

export function devSessionKeys(envFile: string, environment: NodeJS.ProcessEnv, warn: (message: string) => void = console.warn): Promise<string> {
  return devSecret({
    envFile,
    environment,
    name: "SESSION_KEYS",
    make: async () => EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey()),
    called: "key",
    comment: "A key for local development, made by npm run dev. Never use it in production.",
    warn,
  });
}
