/**
 * `npm run dev`: the edge function in Deno, the runtime Netlify runs it in,
 * on http://127.0.0.1:8888, rebuilt and restarted on every edit (esbuild
 * watches the sources, Deno watches the bundle). Settings come from the
 * environment or `.env`, and are checked here, at start, so that a wrong
 * one is named now rather than on the first request.
 *
 * The demo user is on (ALLOW_DEMO_USER=0 turns it off). Without a
 * SESSION_TAG_SECRET, one is made and written to .env (dev-secret.ts). Sessions go to
 * Netlify's own local Blobs server, started here with its files in
 * .netlify/blobs-serve (ignored by git), so that a restart keeps everyone
 * signed in.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { context } from "esbuild";
import { usersFromSettings } from "../src/users.ts";
import { APP_SETTINGS } from "./app-env.ts";
import { devSecret, randomSecret } from "./dev-secret.ts";
import { denoEnv, denoExecutable, denoRunArgs, localServerBuild, PUBLIC_DIR } from "./deno.ts";
import { findPort, loadDotEnv, serveOptions } from "./listen.ts";
import { startLocalBlobs } from "./local-blobs.ts";

function fail(message: string): never {
  console.error(`\n  ${message}\n`);
  process.exit(1);
}

const envFile = fileURLToPath(new URL("../.env", import.meta.url));
const bundle = fileURLToPath(new URL("../dist/local-server.js", import.meta.url));
const blobsDir = fileURLToPath(new URL("../.netlify/blobs-serve", import.meta.url));
// `.env` is where `netlify dev` keeps local settings; the environment wins.
loadDotEnv(envFile);

try {
  const options = serveOptions(process.argv.slice(2), process.env, { port: 8888, dev: true });
  const env: Record<string, string> = { ...denoEnv, PUBLIC_DIR, HOST: options.host };
  for (const name of ["PATH", "HOME", ...APP_SETTINGS]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.ALLOW_DEMO_USER ??= "1";
  // What a deploy must set, made once for development and kept in .env, so a restart keeps everyone signed in.
  env.SESSION_TAG_SECRET = await devSecret({
    envFile,
    environment: process.env,
    name: "SESSION_TAG_SECRET",
    make: randomSecret,
    called: "secret",
    comment: "The key that names users in the session store, made by npm run dev. Never use it in production.",
  });
  // The check the function makes on its first request, made now.
  usersFromSettings({ users: env.USERS, allowDemoUser: env.ALLOW_DEMO_USER, development: false });
  env.PORT = String(await findPort(options));

  const blobs = await startLocalBlobs(blobsDir);
  env.NETLIFY_BLOBS_CONTEXT = blobs.context;

  const builder = await context({ ...localServerBuild, outfile: bundle });
  await builder.rebuild();
  await builder.watch();
  const deno = spawn(denoExecutable(), denoRunArgs(bundle, { watch: true }), { stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      deno.kill(signal);
      void builder.dispose();
      void blobs.stop();
    });
  }
  deno.on("exit", (code) => process.exit(code ?? 1));
} catch (error) {
  fail((error as Error).message);
}
