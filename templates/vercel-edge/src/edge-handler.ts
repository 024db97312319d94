/**
 * The Vercel Edge entry: the app with login sessions in an encrypted cookie
 * (SESSION_KEYS, session-keys.ts). Its settings (README.md, "Settings") come
 * from the environment and are read once per isolate, on its first request. A
 * setting that is wrong gives a plain 500 page, and the log names the setting
 * and the fix.
 *
 * Login attempts are counted in the isolate's memory: a per-instance layer
 * under the Vercel Firewall rate-limit rule that README.md gives.
 */
import vercelAdapter, { type VercelEdgeFunction } from "@hattip/adapter-vercel-edge";
import { EncryptedCookieStore } from "hattip-session";
import { createApp } from "./app.js";
import { MemoryAttemptStore } from "./login-attempts-memory.js";
import { errorPage } from "./page.js";
import type { LoginSession } from "./session-data.js";
import { importSessionKeys } from "./session-keys.js";
import { usersFromSettings } from "./users.js";

type EdgeFunction = (request: Request, context: Parameters<VercelEdgeFunction>[1]) => Promise<Response>;

let ready: Promise<VercelEdgeFunction> | undefined;

export const handleRequest: EdgeFunction = async (request, context) => {
  let handler: VercelEdgeFunction;
  try {
    handler = await (ready ??= build().catch((error: unknown) => {
      // Try again on the next request: the environment may be fixed by a redeploy.
      ready = undefined;
      throw error;
    }));
  } catch (error) {
    console.error(`The app is not configured: ${error instanceof Error ? error.message : String(error)}`);
    return errorPage(500, "The app is not configured yet. Its log says what is missing.");
  }
  return (await handler(request, context)) ?? errorPage(404, "Not found.");
};

async function build(): Promise<VercelEdgeFunction> {
  const keys = await importSessionKeys(process.env.SESSION_KEYS);
  const users = usersFromSettings({ users: process.env.USERS, allowDemoUser: process.env.ALLOW_DEMO_USER, development: false });
  const app = createApp({
    loginStore: new EncryptedCookieStore<LoginSession>(keys),
    store: { name: "an encrypted cookie (AES-256-GCM)", cookieHolds: "data" },
    users,
    loginAttempts: new MemoryAttemptStore(),
    // Device cookies are sealed with the session keys too (each cookie bound to its own name), so every isolate opens them.
    deviceCookieKeys: async () => keys,
  });
  return vercelAdapter(app);
}
