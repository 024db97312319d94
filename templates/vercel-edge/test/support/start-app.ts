/**
 * Starts the template as `npm run dev` does: the bundled Edge Function in
 * Vercel's edge-runtime on a free port, with a fresh key. The root browser
 * test reuses this.
 */
import { EncryptedCookieStore } from "hattip-session";
import { startEdgeServer } from "../../scripts/edge-server.js";

export interface RunningApp {
  url: string;
  /** The SESSION_KEYS the function runs with. */
  sessionKeys: string;
  stop(): Promise<void>;
}

export async function newSessionKey(): Promise<string> {
  return EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
}

export async function startApp(env?: Record<string, string>): Promise<RunningApp> {
  const sessionKeys = env?.SESSION_KEYS ?? (await newSessionKey());
  const server = await startEdgeServer({ env: { SESSION_KEYS: sessionKeys, ...env } });
  return { url: server.url, sessionKeys, stop: () => server.close() };
}
