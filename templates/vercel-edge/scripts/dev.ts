/**
 * `npm run dev` (and `npm start`, `--production`): the Edge Function in
 * edge-runtime, with static files from public/, reloaded on every edit
 * (`tsx watch`). Settings come from the environment or `.env`; they are
 * checked here, at start, so that a wrong one is named now rather than on
 * the first request.
 *
 * In development the demo user is on (ALLOW_DEMO_USER=0 turns it off), and
 * a missing or empty SESSION_KEYS gets a new key, written to `.env`
 * (dev-session-keys.ts) so that a reload keeps everyone signed in.
 * `--production` needs SESSION_KEYS and USERS, as the deployed function does.
 */
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { importSessionKeys } from "../src/session-keys.js";
import { usersFromSettings } from "../src/users.js";
import { APP_SETTINGS } from "./app-env.js";
import { devSessionKeys } from "./dev-session-keys.js";
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
  // The function's settings, and no other variable of this shell: it sees what it will see deployed.
  for (const name of APP_SETTINGS) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  if (options.dev) {
    env.ALLOW_DEMO_USER ??= "1";
    env.SESSION_KEYS = await devSessionKeys(envFile, process.env);
  }
  // The checks the function makes on its first request, made now.
  await importSessionKeys(env.SESSION_KEYS);
  usersFromSettings({ users: env.USERS, allowDemoUser: env.ALLOW_DEMO_USER, development: false });

  const server = await createEdgeServer(env);
  await listen(server, options);
  // The address the server really listens on; on every interface, how to reach it from this machine too.
  const { address, family, port } = server.address() as AddressInfo;
  const everywhere = address === "0.0.0.0" || address === "::";
  const shown = family === "IPv6" ? `[${address}]` : address;
  console.log(
    `Listening on http://${shown}:${port}${everywhere ? ` (from this machine: http://localhost:${port})` : ""} (Vercel edge-runtime, sessions in an encrypted cookie)`,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  }
} catch (error) {
  fail((error as Error).message);
}
