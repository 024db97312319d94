/**
 * Starts the template as `npm run dev` serves it: the bundled Edge Function
 * in Vercel's edge-runtime on a free port, with a fresh key. The root
 * browser test reuses this.
 */
import { EncryptedCookieStore } from "hattip-session";
import { startEdgeServer } from "../../scripts/edge-server.js";

export interface RunningApp {
  url: string;
  /** The SESSION_KEYS the function runs with. */
  sessionKeys: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** `development` is `npm run dev`, which turns the demo user on. */
  mode?: "development" | "production";
  /** The function's environment: SESSION_KEYS (a fresh key if absent), USERS, ... */
  env?: Record<string, string>;
}

export async function newSessionKey(): Promise<string> {
  return EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
}

export async function startApp({ mode = "development", env = {} }: StartOptions = {}): Promise<RunningApp> {
  const sessionKeys = env.SESSION_KEYS ?? (await newSessionKey());
  const demo: Record<string, string> = mode === "development" ? { ALLOW_DEMO_USER: "1" } : {};
  const server = await startEdgeServer({ env: { ...demo, SESSION_KEYS: sessionKeys, ...env } });
  return { url: server.url, sessionKeys, stop: () => server.close() };
}
