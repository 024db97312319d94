/**
 * The Netlify Edge entry: the app with login sessions in an encrypted
 * cookie. The keys come from SESSION_KEYS (comma-separated, newest first)
 * and are imported once per isolate, on its first request, not per request.
 */
import netlifyEdgeAdapter, { type NetlifyContext, type NetlifyEdgeFunction } from "@hattip/adapter-netlify-edge";
import { EncryptedCookieStore } from "hattip-session";
import { createApp } from "./app.ts";
import { errorPage } from "./page.ts";
import { parseLoginSession, type LoginSession } from "./session-data.ts";

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
    console.error(error instanceof Error ? error.message : error);
    return errorPage(500, "The app is not configured. Its log says what is missing.");
  }
  return handler(request, context);
}

async function build(): Promise<NetlifyEdgeFunction> {
  const keys = await EncryptedCookieStore.generateKeysFromBase64(readSessionKeys());
  const loginStore = new EncryptedCookieStore<LoginSession>(keys, { parse: parseLoginSession });
  return netlifyEdgeAdapter(createApp({ loginStore }));
}

function readSessionKeys(): [string, ...string[]] {
  const keys = (readEnv("SESSION_KEYS") ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0) {
    throw new Error(
      "SESSION_KEYS is not set. Generate a key with `npm run generate-key` and set it: " +
        "`netlify env:set SESSION_KEYS <key>` (locally: SESSION_KEYS=<key> npm run dev).",
    );
  }
  return keys as [string, ...string[]];
}

/** `Netlify.env` on Netlify; `Deno.env` wherever else Deno runs this function. */
function readEnv(name: string): string | undefined {
  const { Netlify } = globalThis as { Netlify?: { env: { get(name: string): string | undefined } } };
  return Netlify ? Netlify.env.get(name) : Deno.env.get(name);
}
