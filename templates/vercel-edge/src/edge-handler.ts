/**
 * The Vercel Edge entry: the app with login sessions in an encrypted
 * cookie. The keys come from SESSION_KEYS (comma-separated, newest first)
 * and are imported once per isolate, on its first request, not per request.
 */
import vercelAdapter, { type VercelEdgeFunction } from "@hattip/adapter-vercel-edge";
import { EncryptedCookieStore } from "hattip-session";
import { createApp } from "./app.js";
import { errorPage } from "./page.js";
import { parseLoginSession, type LoginSession } from "./session-data.js";

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
    console.error(error instanceof Error ? error.message : error);
    return errorPage(500, "The app is not configured. Its log says what is missing.");
  }
  return (await handler(request, context)) ?? errorPage(404, "Not found.");
};

async function build(): Promise<VercelEdgeFunction> {
  const keys = await EncryptedCookieStore.generateKeysFromBase64(readSessionKeys());
  const loginStore = new EncryptedCookieStore<LoginSession>(keys, { parse: parseLoginSession });
  return vercelAdapter(createApp({ loginStore }));
}

function readSessionKeys(): [string, ...string[]] {
  const keys = (process.env.SESSION_KEYS ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0) {
    throw new Error(
      "SESSION_KEYS is not set. Generate a key with `npm run generate-key` and set it: " +
        "`vercel env add SESSION_KEYS production` (locally: SESSION_KEYS=<key> npm run dev).",
    );
  }
  return keys as [string, ...string[]];
}
