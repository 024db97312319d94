/**
 * `npm run dev`: the Edge Function in edge-runtime on PORT (default 3000),
 * with SESSION_KEYS from the environment or `.env`.
 * Without SESSION_KEYS it makes a throwaway key, so every restart logs
 * everyone out. `npm start` (`--production`) refuses to run without it.
 */
import { existsSync } from "node:fs";
import { EncryptedCookieStore } from "hattip-session";
import { startEdgeServer } from "./edge-server.js";

// `.env` is where `vercel dev` and create-hattip-session-app keep SESSION_KEYS; the environment wins.
if (existsSync(".env")) process.loadEnvFile(".env");

let sessionKeys = process.env.SESSION_KEYS;
if (!sessionKeys && process.argv.includes("--production")) {
  console.error("SESSION_KEYS is not set. Make a key with `npm run --silent generate-key` and start with SESSION_KEYS=<key> npm start.");
  process.exit(1);
}
if (!sessionKeys) {
  sessionKeys = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
  console.warn("SESSION_KEYS is not set: using a throwaway key until this process ends. Make a lasting one with `npm run generate-key`.");
}
const server = await startEdgeServer({
  env: { SESSION_KEYS: sessionKeys },
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? "127.0.0.1",
});
console.log(`Listening on ${server.url} (Vercel edge-runtime, sessions in an encrypted cookie)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().finally(() => process.exit(0)));
}
