/**
 * The Netlify Edge entry: the app with login sessions in Netlify Blobs (the
 * `sessions` store, read with strong consistency, so a logout holds at once on
 * every edge node; sessions-blobs.ts). Netlify gives the function its Blobs
 * access by itself; locally, scripts/dev.ts starts Netlify's own Blobs server
 * and passes NETLIFY_BLOBS_CONTEXT. Its settings (README.md, "Settings") come
 * from the environment and are read once per isolate, on its first request. A
 * setting that is wrong gives a plain 500 page, and the log names the setting
 * and the fix.
 *
 * Static files: the function runs for every path, so a GET the app does
 * not know is handed back to Netlify (`context.next()`), which serves the
 * file from public/ if there is one; otherwise the app's own 404 page.
 *
 * Login attempts are counted in the isolate's memory: a per-instance layer
 * under the rate-limit rule of netlify/edge-functions/login-rate-limit.ts.
 */
import netlifyEdgeAdapter, { type NetlifyContext, type NetlifyEdgeFunction } from "@hattip/adapter-netlify-edge";
import { EncryptedCookieStore, NetlifyBlobsSessionStore } from "hattip-session";
import { keyedActivityLog } from "./activity.ts";
import { createApp } from "./app.ts";
import { MemoryAttemptStore } from "./login-attempts-memory.ts";
import { errorPage } from "./page.ts";
import type { LoginSession } from "./session-data.ts";
import { answersWithin, BlobsActivityStorage, deviceCookieKey, loginThrottleBlobs, sessionsBlobs } from "./sessions-blobs.ts";
import { sudoWindowFromSetting } from "./sudo.ts";
import { userTagSecretFromSetting } from "./user-tag.ts";
import { usersFromSettings } from "./users.ts";

let ready: Promise<NetlifyEdgeFunction> | undefined;

export async function handleRequest(request: Request, context: NetlifyContext): Promise<Response | undefined> {
  let handler: NetlifyEdgeFunction;
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
  const response = await handler(request, context);
  if (response?.status === 404 && (request.method === "GET" || request.method === "HEAD")) {
    const staticFile = await context.next();
    if (staticFile.status !== 404) return staticFile;
  }
  return response;
}

async function build(): Promise<NetlifyEdgeFunction> {
  const blobs = sessionsBlobs();
  // Each user's recent security activity, one blob per user in the `security-activity` store (sessions-blobs.ts).
  const activityLog = keyedActivityLog(new BlobsActivityStorage(), userTagSecretFromSetting(readEnv("SESSION_TAG_SECRET")));
  const throttleBlobs = loginThrottleBlobs();
  const users = usersFromSettings({ users: readEnv("USERS"), allowDemoUser: readEnv("ALLOW_DEMO_USER"), development: false });
  const app = createApp({
    loginStore: new NetlifyBlobsSessionStore<LoginSession>({
      getStore: () => blobs,
      userTagSecret: userTagSecretFromSetting(readEnv("SESSION_TAG_SECRET")),
    }),
    store: { name: "Netlify Blobs", cookieHolds: "id" },
    users,
    loginAttempts: new MemoryAttemptStore(),
    sudoWindowSeconds: sudoWindowFromSetting(readEnv("SUDO_WINDOW_SECONDS")),
    // Kept in Blobs, so that a device cookie opens in every isolate, not only the one that sealed it.
    deviceCookieKeys: async () => EncryptedCookieStore.generateKeysFromBase64([await deviceCookieKey(throttleBlobs)]),
    checkStore: () => answersWithin(blobs.list({ prefix: "health-check/" }), 3_000),
    activityLog,
  });
  return netlifyEdgeAdapter(app);
}

/** `Netlify.env` on Netlify; `Deno.env` wherever else Deno runs this function. */
function readEnv(name: string): string | undefined {
  const { Netlify } = globalThis as { Netlify?: { env: { get(name: string): string | undefined } } };
  return Netlify ? Netlify.env.get(name) : Deno.env.get(name);
}
