/**
 * The Cloudflare Workers entry: login sessions in Workers KV (SESSIONS), login
 * attempt counters in Durable Objects (LOGIN_ATTEMPTS), users from the USERS
 * secret. The app is built on the first request, when the bindings are known,
 * and kept for the isolate's life. A setting that is wrong gives every request
 * a plain 500 page, and the log says which setting and how to fix it.
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
import { KvSessionStore } from "hattip-session";
import { keyedActivityLog } from "./activity.js";
import { createApp } from "./app.js";
import { DurableObjectActivityStorage, DurableObjectAttemptStore } from "./login-attempts.js";
import { errorPage } from "./page.js";
import type { LoginSession } from "./session-data.js";
import { sudoWindowFromSetting } from "./sudo.js";
import { userTagSecretFromSetting } from "./user-tag.js";
import { usersFromSettings } from "./users.js";

export { LoginAttempts } from "./login-attempts.js";

/** Settings that are not bindings (README.md, "Settings"): secrets, or variables (`npm run dev` sets ALLOW_DEMO_USER). */
interface Settings {
  /** The key (32 characters or more) of the HMAC that names each user in the session store, so that it lists and signs out a user's devices without holding user names. Make one: node -p "crypto.randomBytes(32).toString('base64url')". */
  SESSION_TAG_SECRET?: string;
  /** Who may sign in: name:hash entries, separated by commas. Make one: npm run hash-password -- <name>. */
  USERS?: string;
  /** 1 lets demo / demo-password sign in (a private test deploy only); 0 turns it off, in development too. */
  ALLOW_DEMO_USER?: string;
  /** How recently (in seconds) the password must have been entered to sign out other devices. */
  SUDO_WINDOW_SECONDS?: string;
}

type Handler = ReturnType<typeof cloudflareWorkersAdapter>;
let ready: Promise<Handler> | undefined;

async function build(env: Env & Settings): Promise<Handler> {
  const users = usersFromSettings({ users: env.USERS, allowDemoUser: env.ALLOW_DEMO_USER, development: false });
  const app = createApp({
    loginStore: new KvSessionStore<LoginSession>({ getStore: () => env.SESSIONS, userTagSecret: userTagSecretFromSetting(env.SESSION_TAG_SECRET) }),
    store: { name: "Workers KV", cookieHolds: "id" },
    users,
    loginAttempts: new DurableObjectAttemptStore(env.LOGIN_ATTEMPTS),
    // Each user's recent security activity in an object of the same namespace (login-attempts.ts).
    activityLog: keyedActivityLog(new DurableObjectActivityStorage(env.LOGIN_ATTEMPTS), userTagSecretFromSetting(env.SESSION_TAG_SECRET)),
    sudoWindowSeconds: sudoWindowFromSetting(env.SUDO_WINDOW_SECONDS),
  });
  return cloudflareWorkersAdapter(app);
}

export default {
  async fetch(request, env, ctx) {
    let handler: Handler;
    try {
      handler = await (ready ??= build(env).catch((error: unknown) => {
        // Try again on the next request: the settings may be fixed by then.
        ready = undefined;
        throw error;
      }));
    } catch (error) {
      console.error(`The app is not configured: ${(error as Error).message}`);
      return errorPage(500, "The app is not configured yet. Its log says what is missing.");
    }
    return handler(request, env, ctx);
  },
} satisfies ExportedHandler<Env & Settings>;
