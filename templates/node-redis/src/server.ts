/**
 * The Node entry, and the one place that controls the process: it reads the
 * settings (`--port`/`--host` over the environment over `.env`), refuses
 * to start with a message that says what to fix, serves the app, and
 * shuts down cleanly.
 *
 *   npm run dev     tsx, reloads on edit; the store's URL if set, else memory; demo user on
 *   npm start       compiled JavaScript (npm run build first); the store's URL and USERS required
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, it starts OpenTelemetry before
 * serving (telemetry.ts) and hands the app its tracer and meter; unset, no
 * part of the SDK is loaded.
 *
 * On SIGTERM or SIGINT it stops accepting connections, lets the requests in
 * flight finish (10 s at most), closes the store, sends the telemetry still
 * buffered (3 s at most) and exits with code 0.
 *
 * Settings: PORT (3000), HOST (127.0.0.1 in dev, 0.0.0.0 otherwise),
 * the store's (login-store.ts, with the secrets `npm run dev` makes: DEV_SECRETS), USERS, ALLOW_DEMO_USER, TRUST_PROXY, SUDO_WINDOW_SECONDS,
 * OTEL_EXPORTER_OTLP_ENDPOINT and the SDK's other OTEL_* settings. See README.md.
 */
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createServer } from "@hattip/adapter-node";
import { compose, type RequestContext } from "@hattip/compose";
import { createApp } from "./app.js";
import { devSecret, randomSecret } from "./dev-secret.js";
import { listen, loadDotEnv, serveOptions, type ServeOptions } from "./listen.js";
import { DEV_SECRETS, openLoginStore, type LoginStore } from "./login-store.js";
import { proxySettings } from "./proxy.js";
import { sudoWindowFromSetting } from "./sudo.js";
import { startTelemetry, type Telemetry } from "./telemetry.js";
import { usersFromSettings } from "./users.js";

/** A setting is wrong: say so and stop, with no stack trace. */
function fail(message: string): never {
  console.error(`\n  ${message}\n`);
  process.exit(1);
}

const envFile = fileURLToPath(new URL("../.env", import.meta.url));
loadDotEnv(envFile);

let options: ServeOptions;
try {
  options = serveOptions(process.argv.slice(2), process.env, { port: 3000, dev: false });
} catch (error) {
  fail((error as Error).message);
}
const { dev } = options;
// What `npm start` requires of the host, made once for development and kept in .env, so a restart keeps everyone signed in.
for (const name of dev ? DEV_SECRETS : []) {
  process.env[name] = await devSecret({
    envFile,
    environment: process.env,
    name,
    make: randomSecret,
    called: "secret",
    comment: "Made by npm run dev for local development. Never use it in production.",
  });
}

let telemetry: Telemetry | undefined;
try {
  telemetry = await startTelemetry();
} catch (error) {
  fail((error as Error).message);
}

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
  loginStore = openLoginStore({ env: process.env, dev, log: (message) => console.error(message) });
  const sessionCache = await loginStore.sessionCache?.();
  handler = createApp({
    loginStore: loginStore.store,
    store: loginStore.description,
    users,
    loginAttempts: loginStore.loginAttempts,
    clientAddress: proxy.clientAddress,
    checkStore: loginStore.checkStore,
    sudoWindowSeconds: sudoWindowFromSetting(process.env.SUDO_WINDOW_SECONDS),
    activityLog: loginStore.activityLog,
    ...(sessionCache ? { sessionCache } : {}),
    ...(telemetry ? { telemetry: { tracer: telemetry.tracer, meter: telemetry.meter } } : {}),
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
await listen(server, options).catch((error: Error) => fail(error.message));
// The address the server really listens on; on every interface, how to reach it from this machine too.
const { address, family, port } = server.address() as AddressInfo;
const everywhere = address === "0.0.0.0" || address === "::";
const shownAddress = family === "IPv6" ? `[${address}]` : address;
if (telemetry) console.log(`Sending traces and metrics over OTLP (${process.env.OTEL_EXPORTER_OTLP_PROTOCOL}) to ${telemetry.destination}`);
console.log(
  `Listening on http://${shownAddress}:${port}${everywhere ? ` (from this machine: http://localhost:${port})` : ""} (sessions: ${loginStore.location})`,
);

/** How long the requests in flight may take to finish once the process is told to stop. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long the last spans and metrics may take to send: a collector that does not answer must not keep the process from stopping. */
const TELEMETRY_FLUSH_MS = 3_000;

/** Sends what the SDK still holds, giving up after TELEMETRY_FLUSH_MS. */
function flushTelemetry(): Promise<void> {
  if (!telemetry) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, TELEMETRY_FLUSH_MS)));
  return Promise.race([telemetry.shutdown().catch(() => undefined), givenUp]).finally(() => clearTimeout(timer));
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // A second signal (Ctrl-C again) cuts the requests still in flight.
    if (stopping) return void server.closeAllConnections();
    stopping = true;
    // No new connections; each request in flight gets its answer, and its connection closes once idle.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    void closed
      .then(() => loginStore.close())
      // Whether or not the store closed cleanly.
      .then(flushTelemetry, flushTelemetry)
      .finally(() => {
        clearInterval(idle);
        clearTimeout(cut);
        process.exit(0);
      });
  });
}
