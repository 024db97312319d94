/**
 * `npm run dev` (and `npm start`, `--production`): the Edge Function in
 * edge-runtime, with static files from public/, reloaded on every edit
 * (`tsx watch`). Settings come from the environment or `.env`; they are
 * checked here, at start, so that a wrong one is named now rather than on
 * the first request.
 *
 * In development the demo user is on (ALLOW_DEMO_USER=0 turns it off), and
 * a missing SESSION_KEYS gets a new key, written to `.env` (ignored by git)
 * so that a reload keeps everyone signed in. `--production` needs
 * SESSION_KEYS and USERS, as the deployed function does.
 */
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EncryptedCookieStore } from "hattip-session";
import { importSessionKeys } from "../src/edge-handler.js";
import { usersFromSettings } from "../src/users.js";
import { createEdgeServer } from "./edge-server.js";
import { listen, loadDotEnv, serveOptions } from "./listen.js";

function fail(message: string): never {
  console.error(`\n  ${message}\n`);
  process.exit(1);
}

// `.env` is where `vercel dev` and create-hattip-session-app keep SESSION_KEYS; the environment wins.
const envFile = fileURLToPath(new URL("../.env", import.meta.url));
loadDotEnv(envFile);

try {
  const options = serveOptions(process.argv.slice(2), process.env, { port: 3000, dev: true });
  const env: Record<string, string> = {};
  for (const name of ["SESSION_KEYS", "USERS", "ALLOW_DEMO_USER"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  if (options.dev) env.ALLOW_DEMO_USER ??= "1";
  if (!env.SESSION_KEYS && options.dev) {
    env.SESSION_KEYS = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    appendFileSync(envFile, `\n# A key for local development, made by npm run dev. Never use it in production.\nSESSION_KEYS=${env.SESSION_KEYS}\n`, {
      mode: 0o600,
    });
    console.warn("SESSION_KEYS was not set: a new key for local development is now in .env (ignored by git).");
  }
  // The checks the function makes on its first request, made now.
  await importSessionKeys(env.SESSION_KEYS);
  usersFromSettings({ users: env.USERS, allowDemoUser: env.ALLOW_DEMO_USER, development: false });

  const server = await createEdgeServer(env);
  const port = await listen(server, options);
  const shownHost = options.host === "0.0.0.0" ? "localhost" : options.host;
  console.log(`Listening on http://${shownHost}:${port} (Vercel edge-runtime, sessions in an encrypted cookie)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  }
} catch (error) {
  fail((error as Error).message);
}
