/**
 * The Netlify Edge entry: the app with login sessions in Netlify Blobs (the
 * `sessions` store, read with strong consistency, so a logout holds at once
 * on every edge node). Its settings come from the environment: USERS,
 * ALLOW_DEMO_USER, SUDO_WINDOW_SECONDS; Netlify gives the function its Blobs access by itself
 * (locally, scripts/dev.ts starts Netlify's own Blobs server and passes
 * NETLIFY_BLOBS_CONTEXT). They are read once per isolate, on its first
 * request. A setting that is wrong gives a plain 500 page, and the log
 * names the setting and the fix.
 *
 * Static files: the function runs for every path, so a GET the app does
 * not know is handed back to Netlify (`context.next()`), which serves the
 * file from public/ if there is one; otherwise the app's own 404 page.
 *
 * Login attempts are counted in the isolate's memory: a per-instance layer
 * under the rate-limit rule of netlify/edge-functions/login-rate-limit.ts.
 * Blobs has no TTL: a read that meets an expired session deletes it, and
 * netlify/functions/clean-sessions.ts deletes the rest daily.
 */
import netlifyEdgeAdapter, { type NetlifyContext, type NetlifyEdgeFunction } from "@hattip/adapter-netlify-edge";
import { EncryptedCookieStore, NetlifyBlobsSessionStore } from "hattip-session";
import { createApp } from "./app.ts";
import { MemoryAttemptStore } from "./login-attempts-memory.ts";
import { errorPage } from "./page.ts";
import type { LoginSession } from "./session-data.ts";
import { deviceCookieKey, loginThrottleBlobs, sessionsBlobs } from "./sessions-blobs.ts";
import { sudoWindowFromSetting } from "./sudo.ts";
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
  const users = usersFromSettings({ users: readEnv("USERS"), allowDemoUser: readEnv("ALLOW_DEMO_USER"), development: false });
  const blobs = sessionsBlobs();
  const throttleBlobs = loginThrottleBlobs();
  const app = createApp({
    loginStore: new NetlifyBlobsSessionStore<LoginSession>({ getStore: () => blobs }),
    store: { name: "Netlify Blobs", cookieHolds: "id" },
    users,
    loginAttempts: new MemoryAttemptStore(),
    // Kept in Blobs, so that a device cookie opens in every isolate, not only the one that sealed it.
    deviceCookieKeys: async () => EncryptedCookieStore.generateKeysFromBase64([await deviceCookieKey(throttleBlobs)]),
    sudoWindowSeconds: sudoWindowFromSetting(readEnv("SUDO_WINDOW_SECONDS")),
    // The Blobs client retries a failed call for some 25 s on its own: /health answers sooner.
    checkStore: () => answersWithin(blobs.list({ prefix: "health-check/" }), HEALTH_TIMEOUT_MS),
  });
  return netlifyEdgeAdapter(app);
}

const HEALTH_TIMEOUT_MS = 3_000;

async function answersWithin(call: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  call.catch(() => {});
  try {
    return await Promise.race([call.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `Netlify.env` on Netlify; `Deno.env` wherever else Deno runs this function. */
function readEnv(name: string): string | undefined {
  const { Netlify } = globalThis as { Netlify?: { env: { get(name: string): string | undefined } } };
  return Netlify ? Netlify.env.get(name) : Deno.env.get(name);
}
