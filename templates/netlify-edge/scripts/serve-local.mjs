// `npm run dev`: runs the bundled edge function in Deno on http://127.0.0.1:8888.
// SESSION_KEYS comes from the environment or from .env, as with `netlify dev`;
// without it, a throwaway key is made, so sessions end on restart.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { denoEnv, denoExecutable, denoRunArgs } from "./deno.mjs";

const dotEnv = fileURLToPath(new URL("../.env", import.meta.url));
// Variables already set in the environment win over the file.
if (existsSync(dotEnv)) process.loadEnvFile(dotEnv);

const env = { ...process.env, ...denoEnv };
if (!env.SESSION_KEYS) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  env.SESSION_KEYS = btoa(String.fromCharCode(...key));
  console.warn(
    "\n  WARNING: SESSION_KEYS is not set; using a throwaway key for this run only.\n" +
      "  Sessions will not survive a restart. See README.md to generate a real key.\n",
  );
}

const bundle = fileURLToPath(new URL("../dist/local-server.js", import.meta.url));
const deno = spawn(denoExecutable(), denoRunArgs(bundle), { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => deno.kill(signal));
deno.on("exit", (code) => process.exit(code ?? 1));
