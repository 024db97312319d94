/**
 * The Node entry, and the one place that controls the process: it reads the
 * settings (environment, then `.env`, then `--port`/`--host`), refuses to
 * start with a message that says what to fix, serves the app, and shuts
 * down cleanly.
 *
 *   npm run dev     tsx, reloads on edit; REDIS_URL if set, else memory; demo user on
 *   npm start       compiled JavaScript (npm run build first); REDIS_URL and USERS required
 *
 * Settings: PORT (3000), HOST (127.0.0.1 in dev, 0.0.0.0 otherwise),
 * REDIS_URL, USERS, ALLOW_DEMO_USER, TRUST_PROXY. See README.md.
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createServer } from "@hattip/adapter-node";
import { compose, type RequestContext } from "@hattip/compose";
import { createApp } from "./app.js";
import { openLoginStore, type LoginStore } from "./login-store.js";
import { proxySettings } from "./proxy.js";
import { usersFromSettings } from "./users.js";

/** A setting is wrong: say so in one line and stop, with no stack trace. */
function fail(message: string): never {
  console.error(`\n  ${message}\n`);
  process.exit(1);
}

const envFile = fileURLToPath(new URL("../.env", import.meta.url));
// Variables already set in the environment win over the file.
if (existsSync(envFile)) process.loadEnvFile(envFile);

let args: { dev?: boolean; port?: string; host?: string };
try {
  ({ values: args } = parseArgs({
    options: { dev: { type: "boolean" }, port: { type: "string" }, host: { type: "string" } },
    strict: true,
  }));
} catch (error) {
  fail(`${(error as Error).message}. Options: --port <number>, --host <address> (and --dev, which npm run dev passes).`);
}
const dev = args.dev === true;
const port = parsePort(args.port ?? process.env.PORT ?? "3000", args.port !== undefined ? "--port" : "PORT");
const host = args.host ?? process.env.HOST ?? (dev ? "127.0.0.1" : "0.0.0.0");

let loginStore: LoginStore;
let handler: ReturnType<typeof createApp>;
let trustProxy: boolean;
try {
  const users = usersFromSettings({ users: process.env.USERS, allowDemoUser: process.env.ALLOW_DEMO_USER, development: dev });
  if (!dev && users.some((user) => user.username === "demo")) {
    console.warn("WARNING: ALLOW_DEMO_USER is on: anyone can sign in as demo / demo-password. Never on a public site.");
  }
  const proxy = proxySettings(process.env.TRUST_PROXY);
  trustProxy = proxy.trustProxy;
  loginStore = openLoginStore({ redisUrl: process.env.REDIS_URL, dev, log: (message) => console.error(message) });
  handler = createApp({
    loginStore: loginStore.store,
    store: loginStore.description,
    users,
    loginAttempts: loginStore.loginAttempts,
    clientAddress: proxy.clientAddress,
    checkStore: loginStore.checkStore,
  });
} catch (error) {
  fail((error as Error).message);
}

let warnedAboutProxy = false;
function warnAboutUntrustedProxy(ctx: RequestContext): void {
  if (trustProxy || warnedAboutProxy || !ctx.request.headers.has("x-forwarded-proto")) return;
  warnedAboutProxy = true;
  console.warn(
    "Requests arrive with X-Forwarded-Proto, so a proxy stands in front of the app. If you run it, set TRUST_PROXY=1: " +
      "then the login cookie is __Host- prefixed over https, and login throttling sees each client's address, not the proxy's.",
  );
}
const server = createServer(compose(warnAboutUntrustedProxy, handler), { trustProxy });

if (loginStore.warning) console.warn(loginStore.warning);
await loginStore.waitUntilReachable(2_000);
const actualPort = await listen(server, port, host);
const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
console.log(`Listening on http://${shownHost}:${actualPort} (sessions: ${loginStore.location})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void loginStore.close().finally(() => process.exit(0));
  });
}

function parsePort(text: string, name: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535) fail(`${name} must be a whole number from 0 to 65535 (got "${text.slice(0, 20)}").`);
  return value;
}

/** In dev, a busy port moves to the next free one, as Vite does; in production it is an error. */
async function listen(server: Server, first: number, host: string): Promise<number> {
  for (let candidate = first; ; candidate++) {
    try {
      return await listenOnce(server, candidate, host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" && dev && first !== 0 && candidate < first + 20 && candidate < 65_535) {
        console.warn(`Port ${candidate} is in use, trying ${candidate + 1} instead.`);
        continue;
      }
      if (code === "EADDRINUSE") fail(`Port ${candidate} is already in use by another program. Stop it, or choose another: PORT=${candidate + 1} npm start`);
      if (code === "EACCES") fail(`Port ${candidate} needs more rights than this user has. Choose one above 1023: PORT=3000`);
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") fail(`HOST ${host} is not an address of this machine. Try HOST=0.0.0.0 (every interface) or HOST=127.0.0.1.`);
      fail(`Cannot listen on ${host}:${candidate}: ${(error as Error).message}`);
    }
  }
}

function listenOnce(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
