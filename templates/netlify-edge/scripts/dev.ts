/**
 * `npm run dev`: the edge function in Deno, the runtime Netlify runs it in,
 * on http://127.0.0.1:8888, rebuilt and restarted on every edit (esbuild
 * watches the sources, Deno watches the bundle). Settings come from the
 * environment or `.env`, and are checked here, at start, so that a wrong
 * one is named now rather than on the first request.
 *
 * The demo user is on (ALLOW_DEMO_USER=0 turns it off), and a missing
 * SESSION_KEYS gets a new key, written to `.env` (ignored by git) so that a
 * restart keeps everyone signed in.
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { context } from "esbuild";
import { EncryptedCookieStore } from "hattip-session";
import { importSessionKeys } from "../src/edge-handler.ts";
import { usersFromSettings } from "../src/users.ts";
import { denoEnv, denoExecutable, denoRunArgs, localServerBuild, PUBLIC_DIR } from "./deno.ts";
import { findPort, loadDotEnv, serveOptions } from "./listen.ts";

function fail(message: string): never {
  console.error(`\n  ${message}\n`);
  process.exit(1);
}

const envFile = fileURLToPath(new URL("../.env", import.meta.url));
const bundle = fileURLToPath(new URL("../dist/local-server.js", import.meta.url));
// `.env` is where `netlify dev` and create-hattip-session-app keep SESSION_KEYS; the environment wins.
loadDotEnv(envFile);

try {
  const options = serveOptions(process.argv.slice(2), process.env, { port: 8888, dev: true });
  const env: Record<string, string> = { ...denoEnv, PUBLIC_DIR, HOST: options.host };
  for (const name of ["PATH", "HOME", "SESSION_KEYS", "USERS", "ALLOW_DEMO_USER"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.ALLOW_DEMO_USER ??= "1";
  if (!env.SESSION_KEYS) {
    env.SESSION_KEYS = await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey());
    appendFileSync(envFile, `\n# A key for local development, made by npm run dev. Never use it in production.\nSESSION_KEYS=${env.SESSION_KEYS}\n`, {
      mode: 0o600,
    });
    console.warn("SESSION_KEYS was not set: a new key for local development is now in .env (ignored by git).");
  }
  // The checks the function makes on its first request, made now.
  await importSessionKeys(env.SESSION_KEYS);
  usersFromSettings({ users: env.USERS, allowDemoUser: env.ALLOW_DEMO_USER, development: false });
  env.PORT = String(await findPort(options));

  const builder = await context({ ...localServerBuild, outfile: bundle });
  await builder.rebuild();
  await builder.watch();
  const deno = spawn(denoExecutable(), denoRunArgs(bundle, { watch: true }), { stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      deno.kill(signal);
      void builder.dispose();
    });
  }
  deno.on("exit", (code) => process.exit(code ?? 1));
} catch (error) {
  fail((error as Error).message);
}
