/**
 * Each app's README, put together from fragments: sections every app
 * shares, sections per platform, and sections per store. A README speaks
 * of its own app only: its store, its settings (the table comes from the
 * catalog), its deploy checklist, its tests. Links stay inside the app or
 * are absolute links to the project.
 */
import { readFileSync } from "node:fs";
import { type App, appsOf, PACKAGE_URL, REPOSITORY_URL, settingsOf } from "./catalog.js";

const SECURITY_URL = `${REPOSITORY_URL}/blob/main/packages/session/SECURITY.md`;
const RELIABILITY_URL = `${REPOSITORY_URL}/blob/main/packages/session/RELIABILITY.md`;

export function readme(app: App): string {
  const sections = [
    `# hattip-session starter: ${title(app)}`,
    intro(app),
    screenshots(app),
    `## Run it\n\n${run(app)}`,
    `## Settings\n\n${settingsTable(app)}`,
    app.store.kind === "cookie" ? `## Keys\n\n${keys(app)}` : "",
    `## Test it\n\n${testIt(app)}`,
    `## Other stores\n\n${otherStores(app)}`,
    `## Deploy it\n\n${deploy(app)}`,
    ...deployDetails(app),
    `## How it works\n\n${fileTable(app)}`,
    routes(app),
    ...behaviour(app),
    `### More\n\n${more(app)}`,
  ];
  return `${sections.filter(Boolean).join("\n\n")}\n`;
}

function title(app: App): string {
  const { template } = app.platform;
  if (template === "vercel-edge") return "Vercel Edge Functions + encrypted cookie";
  return `${app.platform.title} + ${app.store.label.replace("Encrypted cookie", "encrypted cookie")}`;
}

const is = (app: App, id: string) => `${app.platform.template}/${app.store.name}` === id;
const lists = (app: App) => app.store.kind === "server";

// ---------------------------------------------------------------------------
// The top

function intro(app: App): string {
  const what = lists(app)
    ? "sign in, a profile page that shows the session behind it and every device you are signed in on (sign out one, or all the others, after a recent password), sign out, and a light/dark theme remembered in a cookie"
    : "sign in, a profile page that shows the session behind it, sign out, and a light/dark theme remembered in a cookie";
  const on = {
    "node-redis": "on [Hattip](https://github.com/hattipjs/hattip) and",
    "workers-kv": "on [Cloudflare Workers](https://developers.cloudflare.com/workers/) with [Hattip](https://github.com/hattipjs/hattip) and",
    "vercel-edge": "on [Hattip](https://github.com/hattipjs/hattip) and",
    "netlify-edge": "on [Hattip](https://github.com/hattipjs/hattip) and",
  }[app.platform.template];
  const deployed = {
    "node-redis": "",
    "workers-kv": "",
    "vercel-edge": ", deployed as one Vercel Edge Function",
    "netlify-edge": ", deployed as a Netlify Edge Function (Deno)",
  }[app.platform.template];
  const where: Record<string, string> = {
    "node-redis/redis": "Sessions and login attempt counters live in **Redis**.",
    "node-redis/postgres": "Sessions and login attempt counters live in **PostgreSQL**, in two tables the app creates.",
    "workers-kv/kv":
      "Login sessions live in **Workers KV** (`KvSessionStore`, bound as `SESSIONS`); login attempt counters in Durable Objects (`LOGIN_ATTEMPTS`).",
    "workers-kv/durable-objects":
      "Login sessions live in **Durable Objects** (`DurableObjectSessionStore`, the `SESSIONS` binding to `SessionDurableObject`), strongly consistent: a logout holds everywhere at once. Login attempt counters are Durable Objects too (`LOGIN_ATTEMPTS`).",
    "vercel-edge/cookie": "Login sessions live in an **encrypted cookie** (`EncryptedCookieStore`, AES-256-GCM): there is no database.",
    "netlify-edge/cookie": "Login sessions live in an **encrypted cookie** (`EncryptedCookieStore`, AES-256-GCM): there is no database.",
    "netlify-edge/blobs":
      "Login sessions live in **Netlify Blobs** (`NetlifyBlobsSessionStore`), read with strong consistency: a logout deletes the session at once.",
  };
  const safe =
    is(app, "node-redis/redis") || is(app, "node-redis/postgres")
      ? " It is meant to be safe to deploy as it is: request bodies are limited as they arrive, password guessing is throttled, the demo user exists only in development, and the cookie is `__Host-` prefixed and `Secure` over https."
      : "";
  return `A small, complete login app ${on} [hattip-session](${PACKAGE_URL})${deployed}: ${what}. ${where[id(app)]}${safe} Copy this folder and make it yours.`;
}

function id(app: App): string {
  return `${app.platform.template}/${app.store.name}`;
}

function screenshots(app: App): string {
  const shots = app.platform.screenshots;
  const url = (file: string) => `${REPOSITORY_URL}/raw/main/templates/${app.platform.template}/docs/${file}`;
  const row = (items: typeof shots) =>
    `| ${items.map((shot) => shot.caption).join(" | ")} |\n|${items.map(() => "---").join("|")}|\n| ${items.map((shot) => `![${shot.alt}](${url(shot.file)})`).join(" | ")} |`;
  const first = shots.slice(0, 5);
  const rest = shots.slice(5);
  const note = app.isDefault
    ? ""
    : `\n\nThe pictures show the ${appsOf(app.platform.template)[0]!.store.label} app; this one looks the same, with ${app.store.label} named on the profile.`;
  return `${row(first)}${rest.length > 0 ? `\n\n${row(rest)}` : ""}${note}`;
}

// ---------------------------------------------------------------------------
// Run it

function run(app: App): string {
  switch (app.platform.template) {
    case "node-redis": {
      const redis = app.store.name === "redis";
      const url = redis ? "REDIS_URL" : "DATABASE_URL";
      const real = redis
        ? "To use a real Redis, put `REDIS_URL=redis://127.0.0.1:6379` in `.env`. If that Redis is not running, the app says so once, with how to start one, and answers 503 until it is."
        : "To use a real PostgreSQL, put `DATABASE_URL=postgres://user:password@127.0.0.1:5432/app` in `.env`; the app creates its tables there at start. If the database cannot be reached, the app says so once, with how to start one, and answers 503 until it can.";
      return `\`\`\`sh
npm install
npm run dev
\`\`\`

Open the URL it prints (http://127.0.0.1:3000) and sign in as **\`demo\`** / **\`demo-password\`**.
\`npm run dev\` reloads the server when you edit a file. If port 3000 is taken it moves to the next
free one and says so; \`npm run dev -- --port 4000\` (or \`PORT=4000\`) picks another.

Without \`${url}\`, \`npm run dev\` keeps sessions and login counters in the process's memory and says
so loudly: they vanish on every restart. ${real}`;
    }
    case "workers-kv":
      return `\`\`\`sh
npm install
npm run dev          # wrangler dev: http://localhost:8787, reloads on edit
\`\`\`

\`wrangler dev\` runs the worker in workerd, the runtime Cloudflare deploys, with ${
        is(app, "workers-kv/kv") ? "a local KV namespace and Durable Object" : "local Durable Objects"
      } under \`.wrangler/state\`. The \`dev\` script (\`scripts/dev.ts\`, so it runs the same on Windows) writes
the secrets \`.dev.vars\` lacks into it (so a restart keeps everyone signed in), turns the demo user on and
keeps wrangler from fetching anything from Cloudflare or sending usage data.
Sign in as **\`demo\`** / **\`demo-password\`**. Extra arguments go to wrangler:
\`npm run dev -- --port 8788\`. wrangler 4 needs Node 20.19 or later.`;
    case "vercel-edge":
      return `\`\`\`sh
npm install
npm run dev
\`\`\`

Open the URL it prints (http://127.0.0.1:3000) and sign in as **\`demo\`** / **\`demo-password\`**.
\`npm run dev\` reloads on every edit, moves to the next free port if 3000 is taken, and takes
\`npm run dev -- --port 4000\`.

It bundles \`api/index.ts\` with esbuild and runs it in Vercel's own
[\`edge-runtime\`](https://www.npmjs.com/package/edge-runtime): the same Web-API sandbox as the
deployed function, without Node's globals, so what runs here runs on Vercel. Files in \`public/\` are
served first, as Vercel serves them. \`create-hattip-session-app\` writes a fresh \`SESSION_KEYS\` into
\`.env\`; if it is missing or empty, \`npm run dev\` makes one and writes it there. A malformed key is
named at start, not on the first request.`;
    case "netlify-edge": {
      const local =
        app.store.kind === "cookie"
          ? "`create-hattip-session-app` writes a fresh `SESSION_KEYS` into `.env`; if it is missing or empty, `npm run dev` makes one and writes it there. A malformed key or `USERS` entry is named at start, not on the first request."
          : "Sessions go to Netlify's own local Blobs server (`@netlify/blobs/server`, what `netlify dev` runs), which `npm run dev` starts with its files in `.netlify/blobs-serve` (ignored by git), so a restart keeps everyone signed in. A malformed `USERS` entry is named at start, not on the first request.";
      return `\`\`\`sh
npm install
npm run dev          # http://127.0.0.1:8888, reloads on edit
\`\`\`

Sign in as **\`demo\`** / **\`demo-password\`**. \`npm run dev -- --port 9000\` picks another port; a busy
one moves to the next free one.

\`npm run dev\` runs the edge function in **Deno** (the \`deno\` npm package, which \`npm install\` puts in
\`node_modules/.deno\`), the runtime Netlify runs it in, without \`netlify dev\` (which downloads Netlify's
runtime bootstrap when it starts, so it cannot run offline): esbuild bundles \`dev/local-server.ts\`
(\`Deno.serve\` plus a minimal Netlify context whose \`next()\` serves \`public/\`) and the edge function
into \`dist/local-server.js\`, rebuilding on every edit, and Deno runs it with \`--watch\`, network access
to loopback only, read access to \`public/\` only and environment access to the app's settings only.
The function is the same file Netlify deploys.

${local}`;
    }
  }
}

// ---------------------------------------------------------------------------
// Settings

function settingsTable(app: App): string {
  const { localSettingsFile, exampleFile } = app.platform;
  const where =
    localSettingsFile === ".dev.vars"
      ? `Locally, \`wrangler dev\` reads them from \`.dev.vars\` beside \`wrangler.jsonc\` (copy \`${exampleFile}\`, which lists them all; git ignores \`.dev.vars\`). Deployed, \`USERS\` is a secret (\`npx wrangler secret put USERS\`); the others are variables or secrets, set in the dashboard or with \`wrangler secret put\`.`
      : `They come from the environment or from a \`.env\` file beside \`package.json\` (the environment wins); \`${exampleFile}\` lists them all, each with its default.`;
  const rows = settingsOf(app).map((setting) => `| \`${setting.name}\` | ${setting.default(app)} | ${setting.summary(app)} |`);
  return `${where}\n\n| Setting | Default | What it does |\n|---|---|---|\n${rows.join("\n")}`;
}

function keys(app: App): string {
  const rotation =
    app.platform.template === "vercel-edge"
      ? "**Rotation:** put a new key first and keep the old one after it (`SESSION_KEYS=<new>,<old>`): new\ncookies are encrypted with the new key, existing ones still open with the old. Remove the old key\nonce its cookies have expired (7 days idle, 30 days at most). Removing a key signs out everyone whose\ncookie it sealed."
      : "**Rotation:** put a new key first and keep the old one after it (`SESSION_KEYS=<new>,<old>`); remove\nthe old one once its cookies have expired (7 days idle, 30 days at most).";
  return `\`SESSION_KEYS\` holds one or more base64url AES-256 keys (43 characters each), comma-separated,
newest first. Make one with \`npm run --silent generate-key\`. The function imports them once per
isolate; a key that cannot work (too short, not base64url) is named with what is wrong with it.

${rotation}`;
}

// ---------------------------------------------------------------------------
// Test it

function testIt(app: App): string {
  const common =
    "The same checks (the `test/shared/` folder) run in every starter, each on its own platform. `test/settings.test.ts` collects every setting the code reads and checks that the table above and the example file list it, with the same default.";
  switch (id(app)) {
    case "node-redis/redis":
      return `\`\`\`sh
npm test
\`\`\`

The tests need \`redis-server\` on the PATH (Debian/Ubuntu: \`sudo apt-get install redis-server\`;
macOS: \`brew install redis\`; on Windows use WSL). They start their own \`redis-server\` on a free port
(never your 6379) and the app as a real HTTP server (the compiled \`dist/server.js\`, as \`npm start\`
runs it, for the production cases), then check over HTTP:

- sign-in, the profile, sign-out; a new session ID at every sign-in and the old one dead; a planted
  ID never adopted; sessions in Redis under keys that are not the IDs;
- request bodies: a chunked upload gets 413 once it passes 8 KiB, before the upload ends, and a
  100 MiB upload leaves the server's peak memory where it was; a lying \`Content-Length\` gets 413 at once;
- login throttling: 429 with \`Retry-After\` after ten failures in a row, backoff, 40 concurrent guesses
  counted one by one, the real user signing in from another address during a flood, a limit per
  address, counters shared by two processes and kept across a restart;
- CSRF, redirects that stay on this site, 1,000 cookie-less \`GET /profile\` that write nothing to
  Redis, the production users, \`TRUST_PROXY\` on and off, every start-up refusal, a Redis outage and
  the recovery after it, a Redis that is stopped and restarted (pages again within a second of it
  answering), and a request in flight when the server is told to stop;
- the container: the steps the \`Dockerfile\` runs, run here (build with every dependency, then a
  fresh install of the production ones only), up to the app answering its \`HEALTHCHECK\`.

${common}`;
    case "node-redis/postgres":
      return `\`\`\`sh
npm test
\`\`\`

The tests need a PostgreSQL server they may create databases on, at \`TEST_POSTGRES_URL\` (default
\`postgres://127.0.0.1:5432/postgres\`, as your login name). Each run creates a private database there and
drops it afterwards. They start the app as a real HTTP server (the compiled \`dist/server.js\`, as
\`npm start\` runs it, for the production cases), then check over HTTP:

- sign-in, the profile, sign-out; a new session ID at every sign-in and the old one dead; a planted
  ID never adopted; sessions stored under hashes, never the IDs;
- request bodies: a chunked upload gets 413 once it passes 8 KiB, before the upload ends, and a
  100 MiB upload leaves the server's peak memory where it was; a lying \`Content-Length\` gets 413 at once;
- login throttling: 429 with \`Retry-After\` after ten failures in a row, backoff, 40 concurrent guesses
  counted one by one, the real user signing in from another address during a flood, a limit per
  address, counters shared by two processes and kept across a restart;
- CSRF, redirects that stay on this site, cookie-less \`GET /profile\` that write nothing, the
  production users, \`TRUST_PROXY\` on and off, the refusal to start without \`DATABASE_URL\`, the
  tables created in an empty database, 503 pages while the database is away, and a request in
  flight when the server is told to stop;
- the container: the steps the \`Dockerfile\` runs, run here (build with every dependency, then a
  fresh install of the production ones only), up to the app answering its \`HEALTHCHECK\`.

${common}`;
    case "workers-kv/kv":
    case "workers-kv/durable-objects": {
      const store = is(app, "workers-kv/kv")
        ? "the session really in KV and gone after logout"
        : "one Durable Object per session, and a copied cookie worthless after logout";
      return `\`\`\`sh
npm test
\`\`\`

Checks that the committed binding types (\`worker-configuration.d.ts\`) match \`wrangler.jsonc\` and the
runtime types (\`worker-runtime.d.ts\`) match the installed workerd (\`scripts/worker-types.mjs --check\`,
which leaves your \`.dev.vars\` out of it), type-checks the worker against workerd's own types and the
tests against Node's, then runs the worker in workerd through Miniflare (the simulator inside
\`wrangler dev\`), configured from \`wrangler.jsonc\` by wrangler's own reader, with in-memory KV and
Durable Objects, and checks over real HTTP: sign-in and sign-out, a new session ID at every sign-in,
a planted ID never adopted, ${store}; 413 for an oversized body before it ends; login throttling (429
with \`Retry-After\`, backoff, concurrent guesses counted one by one, the real user signing in from
another address during a flood); CSRF; redirects that stay on this site; 1,000 cookie-less
\`GET /profile\` that write nothing; production users; \`wrangler deploy --dry-run\` bundling the worker
under 150 KiB with its bindings; and the type checks and the dry run again in a copy of the app with a
\`.dev.vars\` holding every setting of the table above.

${common}`;
    }
    case "vercel-edge/cookie":
      return `\`\`\`sh
npm test
\`\`\`

The tests run the bundled function in edge-runtime and check over HTTP: sign-in and sign-out, a new
cookie at every sign-in, a tampered or foreign-key cookie is no session, key rotation; 413 for an
oversized body before it ends; login throttling (429 with \`Retry-After\`, backoff, concurrent guesses
counted one by one, the real user signing in from another address during a flood); CSRF; redirects
that stay on this site; no login cookie for a visitor who is not signed in; production users;
\`npm run dev\`/\`npm start\` naming a wrong setting at start, an empty or short \`SESSION_KEYS\`; static
files from \`public/\`.

${common}`;
    case "netlify-edge/cookie":
    case "netlify-edge/blobs": {
      const store = is(app, "netlify-edge/cookie")
        ? "a new cookie at every sign-in, a tampered or planted cookie is no session, the cookie-store limit below"
        : "a logout that deletes the session from Blobs, so a copy of the cookie taken before it no longer signs in; 503 within the store's timeout, and `/health` saying so, when Blobs cannot be reached";
      const keys = is(app, "netlify-edge/cookie") ? ", an empty or short `SESSION_KEYS`" : "";
      return `\`\`\`sh
npm test
\`\`\`

Type-checks, then runs the edge function in real Deno on a free loopback port${
        is(app, "netlify-edge/blobs") ? ", with Netlify's own local Blobs server," : ""
      } and checks over HTTP:
sign-in and sign-out, ${store}; 413 for an oversized body before it ends; login throttling (429 with
\`Retry-After\`, backoff, concurrent guesses counted one by one, the real user signing in from another
address during a flood); CSRF; redirects that stay on this site; no login cookie for a visitor who is
not signed in; production users; static files handed to Netlify; \`npm run dev\` naming a wrong
setting at start${keys}; Netlify's build run offline (\`npm run build -- --offline\`, with the app's own
Deno, nothing downloaded) writing a manifest that routes \`POST /login\` to the rate-limit function
before the app, and failing, saying why, for want of the rule it cannot read offline. One more run
starts the TypeScript sources unbundled, with npm packages read from \`node_modules\` as Netlify's
bundler does.

${common}`;
    }
  }
  throw new Error(`No test section for ${id(app)}`);
}

// ---------------------------------------------------------------------------
// Other stores

function otherStores(app: App): string {
  const command = (store: string) =>
    `\`\`\`sh\nnpm create hattip-session-app@latest my-app -- --template ${app.platform.template} --store ${store}\n\`\`\``;
  switch (id(app)) {
    case "node-redis/redis":
      return `This app keeps sessions and login attempt counters in **Redis**. If you already run PostgreSQL and
would rather not add Redis, the same app on PostgreSQL is one command away:

${command("postgres")}

It keeps sessions in \`hattip_sessions\` and counters in \`hattip_login_attempts\`, tables it creates
at start, and deletes expired rows hourly; its own README says what to set.`;
    case "node-redis/postgres":
      return `This app keeps sessions and login attempt counters in **PostgreSQL**. The same app on Redis
(with Sentinel and Cluster deployments, and logins that can wait for a replica) is one command away:

${command("redis")}`;
    case "workers-kv/kv":
      return `This app keeps sessions in **Workers KV**: cheap, read from the nearest location, but eventually
consistent: a logout can take up to 60 s to reach other locations, where the old cookie still works
meanwhile. If a logout must hold everywhere at once, make the Durable Objects app instead:

${command("durable-objects")}`;
    case "workers-kv/durable-objects":
      return `This app keeps sessions in **Durable Objects**: strongly consistent, one object per session. Workers
KV is cheaper per read but eventually consistent (a logout can take up to 60 s to reach other
locations); the same app on KV is one command away:

${command("kv")}`;
    case "vercel-edge/cookie":
      return `This template has one store: the **encrypted cookie**. Vercel's Edge runtime has no server-side
store of its own, and a third-party one (Upstash Redis, say) would need an account this starter
cannot assume. \`--store cookie\` is accepted; any other store is refused. If a logout must revoke
every copy of the cookie at once, use a platform with a server-side store: \`node-redis\` (Redis or
PostgreSQL), \`workers-kv\` (KV or Durable Objects) or \`netlify-edge --store blobs\`.`;
    case "netlify-edge/cookie":
      return `This app keeps the session in an **encrypted cookie**: no database, but a copy of the cookie taken
before a logout works until it expires. For server-side sessions, where a logout deletes the session
at once and the profile lists the user's devices, make the Netlify Blobs app instead:

${command("blobs")}`;
    case "netlify-edge/blobs":
      return `This app keeps sessions in **Netlify Blobs**: a logout deletes the session at once, and the profile
lists the user's devices. With no server-side state at all (the session sealed in the cookie, which a
logout cannot revoke everywhere), the same app is one command away:

${command("cookie")}`;
  }
  throw new Error(`No other-stores section for ${id(app)}`);
}

// ---------------------------------------------------------------------------
// Deploy it

/** Shell lines with their comments lined up: `[command, comment?]`. */
function shell(lines: Array<[string, string?]>): string {
  const width = Math.max(...lines.map(([command]) => command.length)) + 2;
  return lines.map(([command, comment]) => (comment ? `${command.padEnd(width)}# ${comment}` : command)).join("\n");
}

function checklist(items: string[]): string {
  return `### Production checklist\n\n${items.map((item) => `- [ ] ${item.replace(/\n/g, "\n      ")}`).join("\n")}`;
}

/** The catalog's checklist items for the settings that must be set or decided on deploy. */
function settingItems(app: App): string[] {
  return settingsOf(app).flatMap((setting) => (setting.checklist ? [setting.checklist(app)] : []));
}

function deploy(app: App): string {
  switch (app.platform.template) {
    case "node-redis":
      return nodeDeploy(app);
    case "workers-kv":
      return `${workersDeploy(app)}${uploadSize(app)}`;
    case "vercel-edge":
      return `${vercelDeploy(app)}${uploadSize(app)}`;
    case "netlify-edge":
      return `${netlifyDeploy(app)}${uploadSize(app)}`;
  }
}

/** What an edge app's deploy uploads, as starter/bundle-sizes.ts last measured it (test/bundle-sizes.test.ts keeps it true). */
function uploadSize(app: App): string {
  const recorded = JSON.parse(readFileSync(new URL("bundle-sizes.json", import.meta.url), "utf8")) as Record<
    string,
    { bytes: number; gzippedBytes: number }
  >;
  const size = recorded[app.platform.template];
  if (!app.isDefault || !size) return "";
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  return app.platform.template === "workers-kv"
    ? `

**What a deploy uploads:** \`wrangler deploy\` minifies (\`wrangler.jsonc\`): the worker, with hattip-session and zod,
weighs ${kib(size.bytes)}, ${kib(size.gzippedBytes)} gzipped.`
    : `

**Bundle size:** the function with hattip-session and zod, bundled by esbuild and minified, weighs
${kib(size.bytes)}, ${kib(size.gzippedBytes)} gzipped.`;
}

function nodeDeploy(app: App): string {
  const redis = app.store.name === "redis";
  const health = redis ? "while Redis answers, 503 while it does not" : "while PostgreSQL answers, 503 while it does not";
  const limits = redis
    ? "**Rate limits**: built in, nothing to set. Counters live in Redis, shared by every process and kept across restarts (see *Login throttling* below). A proxy-level limit on `POST /login` is a good second layer where your host offers one."
    : "**Rate limits**: built in, nothing to set. Counters live in PostgreSQL, shared by every process and kept across restarts (see *Login throttling* below). A proxy-level limit on `POST /login` is a good second layer where your host offers one.";
  const noKey = redis
    ? "No signing or encryption key is needed: the cookie holds only a random 256-bit session ID, and Redis keys are a SHA-256 of it."
    : "No signing or encryption key is needed: the cookie holds only a random 256-bit session ID, and the table keeps only a SHA-256 of it.";
  return `Any Node 20.19 or later host works: a VM, a container (a \`Dockerfile\` is included, see below),
Fly.io, Render, Railway, Heroku. Production runs compiled JavaScript on plain \`node\`. The build needs
the dev dependencies (TypeScript and Node's types); the running app needs only the production ones:

\`\`\`sh
npm ci                 # every dependency: the build needs TypeScript
npm run build          # TypeScript to dist/
npm prune --omit=dev   # optional: drop what only the build needed
npm start              # node dist/server.js
\`\`\`

\`NODE_ENV=production npm ci\` installs no dev dependencies, so \`npm run build\` cannot run after it:
build first, then drop them, as the \`Dockerfile\` does in two stages.

${checklist([
  ...settingItems(app).filter((item) => !item.startsWith("`SUDO_WINDOW_SECONDS`") && !item.startsWith("The demo user")),
  "The demo user is off in production; `ALLOW_DEMO_USER=1` turns it on, for a private test deploy only (its password is in this README).",
  "**HTTPS** only. Over https the cookie is `__Host-session` (no subdomain can set or shadow it) and `Secure`.",
  `**Health check** of your host pointed at \`GET /health\`: 200 \`{"status":"ok"}\` ${health}.`,
  limits,
  noKey,
  "`PORT` (default 3000) and `HOST` (default 0.0.0.0 with `npm start`) if your host needs them.",
  ...settingItems(app).filter((item) => item.startsWith("`SUDO_WINDOW_SECONDS`")),
])}`;
}

function workersDeploy(app: App): string {
  const kv = is(app, "workers-kv/kv");
  const steps = kv
    ? `npx wrangler login
npx wrangler kv namespace create SESSIONS      # paste the id it prints into wrangler.jsonc
npm run hash-password -- alice                 # prints alice:pbkdf2-sha256$...
npx wrangler secret put USERS                  # paste that entry (several: separate with commas)
npm run deploy                                 # wrangler deploy`
    : `npx wrangler login
npm run hash-password -- alice                 # prints alice:pbkdf2-sha256$...
npx wrangler secret put USERS                  # paste that entry (several: separate with commas)
npm run deploy                                 # wrangler deploy: creates both Durable Object classes`;
  const storeItems = kv
    ? ["**KV namespace id** in `wrangler.jsonc` (`npx wrangler kv namespace create SESSIONS`)."]
    : [
        "**Nothing to create** for sessions: `SESSIONS` is a Durable Object binding to the class `SessionDurableObject`, which the `v1` migration in `wrangler.jsonc` creates on the first deploy.",
      ];
  const noKey = kv
    ? "No signing or encryption key is needed: a session ID is 256 random bits and KV keeps only its SHA-256."
    : "No signing or encryption key is needed: a session ID is 256 random bits, and the objects are named by hashes, never by an ID.";
  return `\`\`\`sh
${steps}
\`\`\`

${checklist([
  "**Worker name** in `wrangler.jsonc`: `create-hattip-session-app` sets it to your project's name. If you copied this folder by hand, replace `hattip-session-app-rename-me`: two projects with the same name deploy over each other.",
  ...storeItems,
  "**`USERS`** as a secret (`npx wrangler secret put USERS`): `name:hash` entries made with `npm run hash-password -- <name>`. Without users every page answers a plain 500 and the log says what to set. The demo user is off when deployed; a variable `ALLOW_DEMO_USER=1` turns it on, for a private test deploy only.",
  "**Rate limits**: built in. The counters are Durable Objects, strongly consistent across Cloudflare's locations, created by the `v1` migration in `wrangler.jsonc` on the first deploy (SQLite-backed, available on the free plan). Nothing to set. A [rate limiting rule](https://developers.cloudflare.com/waf/rate-limiting-rules/) on `POST /login` in the dashboard is a good second layer.",
  "**HTTPS**: always, on `workers.dev` and custom domains. The session cookie is then `__Host-session` and `Secure`.",
  noKey,
  "`SUDO_WINDOW_SECONDS` (a variable, default 600) only if signing out other devices should ask for the password again sooner or later than 10 minutes after it was last entered.",
  "After changing bindings in `wrangler.jsonc`, run `npm run cf-typegen` and commit `worker-configuration.d.ts`.",
])}`;
}

const VERCEL = "vercel@58.10.0";

function vercelDeploy(app: App): string {
  return `The layout is what Vercel expects from a project with no framework: \`api/index.ts\` is an Edge
Function (\`export const config = { runtime: "edge" }\`), \`vercel.json\` rewrites every path to it, and
\`public/\` holds the static files, which Vercel serves before the rewrite (without that folder it
would serve the project's own files, \`src/\` included). Vercel bundles \`api/index.ts\` itself.

\`\`\`sh
${shell([
  [`npx ${VERCEL} link`, "create or pick the project (Framework preset: Other)"],
  [`npx ${VERCEL} env add SESSION_KEYS production`, "paste the key from: npm run --silent generate-key"],
  ["npm run hash-password -- alice", "prints alice:pbkdf2-sha256$..."],
  [`npx ${VERCEL} env add USERS production`, "paste that entry (several: separate with commas)"],
  ["npm run deploy", "vercel deploy --prod"],
])}
\`\`\`

The Vercel CLI is pinned to ${VERCEL.replace("vercel@", "")}: its whole dependency tree installs from the npm registry (later
releases depend on packages that are not published there). It runs on Node 20.19 or later. To build
locally as Vercel would (\`npx ${VERCEL} build\`, output in \`.vercel/output\`), run \`vercel link\` first:
the build reads the project's settings that \`link\` writes to \`.vercel/\`.

**Which Node:** the function is an Edge Function, so it runs on Vercel's Edge runtime, not on Node.
Vercel *builds* the project with the newest Node its \`engines\` range (\`>=20.19\`) allows, which is
Node 24 today; pin \`engines\` (say \`"22.x"\`) or set the project's Node.js version to choose another.

${checklist([
  ...settingItems(app).filter((item) => !item.startsWith("The demo user")),
  "The demo user is off when deployed; `ALLOW_DEMO_USER=1` turns it on, for a private test deploy only.",
  "**Rate limit rule** in the Vercel Firewall (Project → Firewall → Configure → New Rule): *If* Request Path equals `/login` *and* Method equals `POST`, *then* Rate Limit, fixed window 60 s, 10 requests, keyed by IP, action Deny (429). WAF rate limiting is available on every plan. The app's own counters (see below) live in each edge instance's memory, so only this rule holds across Vercel's instances and regions.",
  "**HTTPS**: Vercel always serves it. The session cookie is then `__Host-session` and `Secure`.",
])}`;
}

const NETLIFY_CLI = "netlify-cli@26.2.0";
const NETLIFY_BUILD = "35.15.0";

function netlifyDeploy(app: App): string {
  const cookie = app.store.kind === "cookie";
  const steps = shell([
    [`npx ${NETLIFY_CLI} login`],
    [`npx ${NETLIFY_CLI} init`, "create or link the site"],
    ...(cookie ? ([[`npx ${NETLIFY_CLI} env:set SESSION_KEYS "$(npm run --silent generate-key)"`]] as Array<[string, string?]>) : []),
    ["npm run hash-password -- alice", "prints alice:pbkdf2-sha256$..."],
    [`npx ${NETLIFY_CLI} env:set USERS 'alice:pbkdf2-sha256$...'`, "single quotes: the hash holds $"],
    ["npm run deploy", "build, check the rate limit is in, deploy"],
  ]);
  const storeItems = cookie
    ? []
    : [
        "**Nothing to create** for sessions: Netlify gives every site Blobs; the edge function reaches the `sessions` store with no setting of its own. Set `SESSION_TAG_SECRET` (see *Settings*).",
        "**Cleanup**: Blobs has no TTL. A read that meets an expired session deletes it, and `netlify/functions/clean-sessions.ts` (a scheduled function, `@daily`) deletes the rest.",
      ];
  return `\`netlify/edge-functions/app.ts\` is the app, routed on every path by \`netlify.toml\`;
\`netlify/edge-functions/login-rate-limit.ts\` declares Netlify's rate limit on sign-in, and
\`netlify.toml\` routes \`POST /login\` to it too; \`public/\` is the publish directory. Netlify bundles
the functions with their npm imports from \`node_modules\`.

\`\`\`sh
${steps}
\`\`\`

\`npm run build\` (\`scripts/netlify.mjs\`) runs Netlify's build itself (\`@netlify/build\` ${NETLIFY_BUILD}, what
\`netlify build\` runs, a dev dependency) with the app's own Deno first on the \`PATH\`, so the build
downloads no Deno; then it reads the manifest the build wrote and fails unless \`POST /login\` is
routed to the rate-limit function, before the app, *with* its rule. \`npm run deploy\` does the same,
then \`npx ${NETLIFY_CLI} deploy --prod --no-build\`. The rule's numbers are read from
\`login-rate-limit.ts\` by Netlify's bundler, which fetches Netlify's bootstrap types from
\`edge.netlify.com\` to do so: a build that cannot reach it (\`npm run build -- --offline\`) still routes
\`POST /login\` to the function (\`netlify.toml\` declares the route) but carries no rule, and says so
instead of shipping without the limit. Building from git on Netlify needs none of this.

**Which Node:** the build (\`@netlify/build\` ${NETLIFY_BUILD} and every package it installs) runs on Node 20.19 or
later. The Netlify CLI that deploys, ${NETLIFY_CLI.replace("netlify-cli@", "")}, says Node 20.12 or later itself, but parts of it
that npm installs today (\`@netlify/config\` 25.2 and \`@netlify/edge-bundler\` 15.1 among them, pulled
by \`^\` ranges) say Node 22.12 or later: run \`npm run deploy\` on Node 22.12 or later.
\`package.json\`'s \`overrides\` gives \`@netlify/build\`'s OpenTelemetry API (it asks for 1.8) the 1.9 that
vitest asks for, so that npm installs both.

${checklist([
  ...settingItems(app).filter((item) => !item.startsWith("The demo user") && !item.startsWith("`SUDO_WINDOW_SECONDS`")),
  "The demo user is off when deployed; `ALLOW_DEMO_USER=1` turns it on, for a private test deploy only.",
  ...storeItems,
  '**Rate limit**: declared in code, nothing to set. `login-rate-limit.ts` has Netlify answer 429 past 10 `POST /login` a minute per client address and domain (`rateLimit: { windowLimit: 10, windowSize: 60, aggregateBy: ["ip", "domain"] }`), at its edge, before the app runs. To set the same rule in the UI instead (Site configuration → Rate limiting), use those numbers on path `/login`.',
  "**HTTPS**: Netlify always serves it. The session cookie is then `__Host-session` and `Secure`.",
  ...settingItems(app).filter((item) => item.startsWith("`SUDO_WINDOW_SECONDS`")),
])}`;
}

function deployDetails(app: App): string[] {
  switch (id(app)) {
    case "node-redis/redis":
      return [container(app), shutdown(app), telemetry(app), redisReplicated()];
    case "node-redis/postgres":
      return [container(app), shutdown(app), telemetry(app), postgresDetails()];
    case "workers-kv/durable-objects":
      return [durableObjectsDetails()];
    case "netlify-edge/blobs":
      return [blobsDetails()];
    default:
      return [];
  }
}

function container(app: App): string {
  const store = app.store.name === "redis" ? "REDIS_URL=redis://redis:6379" : "DATABASE_URL=postgres://user:password@db:5432/app";
  return `### Run it in a container

The \`Dockerfile\` builds in two stages: the first installs every dependency and compiles to \`dist/\`;
the second installs the production dependencies only (\`npm ci --omit=dev\`), copies \`dist/\` in, and
runs \`node dist/server.js\` as the unprivileged \`node\` user, on \`0.0.0.0:3000\`, with a \`HEALTHCHECK\`
on \`/health\`. \`.dockerignore\` keeps \`node_modules\`, \`dist\` and \`.env\` out of the build.

\`\`\`sh
docker build -t my-app .
docker run --rm -p 3000:3000 -e ${store} -e USERS='alice:pbkdf2-sha256$...' my-app
\`\`\`

The image needs the \`package-lock.json\` that your first \`npm install\` wrote: commit it.`;
}

function shutdown(app: App): string {
  const store = app.store.name === "redis" ? "the Redis client" : "the PostgreSQL pool";
  return `### Stopping, restarting, and a process manager

On \`SIGTERM\` or \`SIGINT\` (\`docker stop\`, a platform's redeploy, Ctrl-C) the server stops accepting
connections, lets the requests in flight finish (10 s at most, then it closes what is left), closes
${store}, sends the traces and metrics it still holds if it collects them (3 s at most) and exits
with code 0. Run it under something that starts it again if it exits: your
platform's or container's restart policy, systemd (\`Restart=on-failure\`), or a process manager such
as pm2. One process per container is enough; for more capacity run several behind a load balancer:
sessions and login counters live in the store, so any process serves any user.`;
}

function telemetry(app: App): string {
  const store = app.store.name === "redis" ? "RedisSessionStore" : "PostgresSessionStore";
  const cached = app.store.sessionCache
    ? "; and a `load` the page asks for (`verify()`) when the session cache answered the request without one"
    : "";
  return `### Traces and metrics (OpenTelemetry)

Set \`OTEL_EXPORTER_OTLP_ENDPOINT\` and \`src/telemetry.ts\` starts the official OpenTelemetry Node SDK
(\`@opentelemetry/sdk-node\`) before the server listens; the login session then reports what it does
over OTLP to that collector: JSON over HTTP (\`/v1/traces\`, \`/v1/metrics\`) unless
\`OTEL_EXPORTER_OTLP_PROTOCOL\` says \`http/protobuf\` or \`grpc\`. Without the setting no part of the
SDK is even loaded. The SDK reads its other standard settings itself: \`OTEL_EXPORTER_OTLP_HEADERS\`
(a hosted backend's key), \`OTEL_METRIC_EXPORT_INTERVAL\` (60000 ms), \`OTEL_TRACES_SAMPLER\`,
\`OTEL_RESOURCE_ATTRIBUTES\`. A collector that is down or never answers changes no page: the SDK drops
what it cannot send, and at shutdown the app waits 3 s at most for the last export.

To watch it locally, run an OpenTelemetry Collector that prints what it receives. Save this as
\`otel-collector.yaml\`:

\`\`\`yaml
receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:4318
exporters:
  debug:
    verbosity: detailed
service:
  pipelines:
    traces: { receivers: [otlp], exporters: [debug] }
    metrics: { receivers: [otlp], exporters: [debug] }
\`\`\`

\`\`\`sh
docker run --rm -p 4318:4318 -v "$PWD/otel-collector.yaml:/etc/otelcol/config.yaml" otel/opentelemetry-collector:0.149.0
# in another terminal, then sign in:
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_METRIC_EXPORT_INTERVAL=5000 npm run dev
\`\`\`

Jaeger (traces, with a UI), Grafana's \`otel-lgtm\` image or a hosted backend take the same setting:
anything that takes OTLP over HTTP, by default on port 4318.

What arrives, under the service \`OTEL_SERVICE_NAME\` (by default the \`name\` in \`package.json\`),
each with \`hattip_session.store\`: \`${store}\`:

| span or metric | what it is |
|---|---|
| \`hattip_session.request\` | A request's login session work: \`hattip_session.cookie_name\`, and \`hattip_session.action\`, what its end did (\`leave\`, \`create\`, \`update\`, \`rotate\`, \`destroy\`). A sign-in is \`create\`, a sign-out \`destroy\`. |
| \`hattip_session.store.load\`, \`.create\`, \`.update\`, \`.rotate\`, \`.destroy\` | Each store call of the session's loading and saving, under that span: \`hattip_session.operation\` and \`hattip_session.outcome\` (\`found\`, \`not_found\`, \`created\`, \`destroyed\`..., or \`error\`, with status \`ERROR\` and \`error.type\`, in an outage). |
| \`hattip_session.store.list\`, \`.revoke\` | The profile listing your devices, and signing them out${cached}. The app opens no span for a request itself, so each of these is a trace of its own. |
| \`hattip_session.store.operation.duration\` | A histogram of store call durations in seconds, by operation and outcome. |
| \`hattip_session.sessions.created\`, \`.rotated\`, \`.destroyed\` | Sessions, counted by cookie name. |
| \`hattip_session.revocations\`, \`hattip_session.cookies.refused\`, \`hattip_session.store.errors\` | Revokes by scope, cookies refused by reason (expired, tampered...), failed store calls by error code. |

A visitor with no login cookie costs no store call: their request span has nothing under it. No span
or metric holds a session ID, a cookie or session data. The theme and notice cookies report nothing.
hattip-session's [telemetry documentation](${REPOSITORY_URL}/blob/main/packages/session/docs/telemetry.md)
has every attribute.`;
}

function redisReplicated(): string {
  return `### Redis Sentinel or Redis Cluster

\`REDIS_URL\` may name a replicated deployment instead of one server
(\`src/redis-client.ts\` builds the client from it):

\`\`\`sh
# Sentinel: the sentinels (port 26379 if omitted) and the name they monitor
REDIS_URL=redis+sentinel://:password@10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster npm start
# Cluster: a few nodes (port 6379 if omitted); the client discovers the rest
REDIS_URL=redis+cluster://:password@10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379 npm start
\`\`\`

The password is the data nodes' (primary and replicas), not the sentinels'. When a
primary fails, pages answer 503 until the replica has taken over and the client has
found it (2.5 to 5 s with Sentinel's \`down-after-milliseconds 1000\`, 3 to 4 s with
\`cluster-node-timeout 1000\`, in our runs), then carry on with no restart. On a Cluster, set
\`cluster-require-full-coverage no\`, or every shard refuses requests while one fails over.

A failover can lose the last writes the replica had not received yet: a login the user
was just given, or a logout that then comes undone. To make logins and logouts wait
until a replica has them, set:

\`\`\`sh
REDIS_WAIT_REPLICAS=1        # the store's \`durability\`: WAIT for 1 replica
REDIS_WAIT_TIMEOUT_MS=500    # optional; default half the store's 2 s timeout
\`\`\`

A login the replica does not confirm in time answers 503 instead of handing out a
session a failover could erase; a logout in that case answers 503 but still clears the
cookie. It costs no extra round trip (\`WAIT\` is pipelined with the write). But with a
single replica, logins fail while it is down, so run two replicas or accept that.
The package's [RELIABILITY.md](${RELIABILITY_URL}) has the measured figures.`;
}

function postgresDetails(): string {
  return `### PostgreSQL: tables, cleanup, outages

- **Tables**: created at start if missing (\`CREATE TABLE IF NOT EXISTS\`), so the database user
  needs \`CREATE\` on its schema the first time. To create them yourself instead, run the SQL of
  \`postgresSessionTableSql()\` (printed by
  \`node -e 'import("hattip-session").then(m => console.log(m.postgresSessionTableSql()))'\`):
  \`hattip_sessions (id_hash text primary key, record text, expires_at bigint, user_hash text,
  handle text)\` with indexes on \`expires_at\` and \`user_hash\`; and \`hattip_login_attempts\`
  (\`src/login-attempts-postgres.ts\`).
- **Cleanup**: each new session deletes up to 10 expired rows, and every process runs
  \`deleteExpired()\` hourly. With several processes that is several sweeps an hour; they are cheap
  (an index range delete). A cron \`DELETE FROM hattip_sessions WHERE expires_at < extract(epoch
  from now()) * 1000\` does the same job if you prefer.
- **Outages**: a request waits at most 2 s for PostgreSQL, then gets a 503; the pool opens a new
  connection for the next query by itself, and the log says once when the database is gone and once
  when it is back.`;
}

function durableObjectsDetails(): string {
  return `### Durable Objects: the migration, cleanup and cost

- **Migration**: \`"migrations": [{ "tag": "v1", "new_sqlite_classes": ["LoginAttempts",
  "SessionDurableObject"] }]\` in \`wrangler.jsonc\` creates both classes, SQLite-backed, on the first
  deploy. Never edit a deployed migration: to move an existing deployment that kept its sessions
  elsewhere onto this one, add \`{ "tag": "v2", "new_sqlite_classes": ["SessionDurableObject"] }\`
  instead (and expect everyone to sign in again).
- **Cleanup**: nothing to schedule: each object sets a storage alarm for when its sessions expire, and
  an emptied object frees its storage.
- **Cost**: one Durable Object request per request that reads a session; see the pricing of Durable
  Objects on the SQLite backend.`;
}

function blobsDetails(): string {
  return `### Netlify Blobs: consistency, outages, locally

- **Consistency**: reads are \`strong\` (uncached), so a logout holds on the next request anywhere;
  each request that reads a session is one Blobs call.
- **Outages**: a Blobs call that fails gives a 503, and \`/health\` answers 503 within 3 s when Blobs
  cannot be reached.
- **Locally**: \`npm run dev\` starts Netlify's own Blobs server (\`@netlify/blobs/server\`) with its
  files in \`.netlify/blobs-serve\` (ignored by git); the tests start one per run in a temp folder.`;
}

// ---------------------------------------------------------------------------
// How it works

function fileTable(app: App): string {
  const rows: Array<[string, string]> = [];
  const appRow: [string, string] = ["`src/app.ts`", "The routes, runtime-agnostic (Fetch API and Web Crypto only), the same in every starter."];
  switch (app.platform.template) {
    case "node-redis": {
      rows.push(appRow, ["`src/server.ts`", "The Node entry and the only place that ends the process: settings, the store, listening, shutdown."]);
      rows.push([
        "`src/login-store.ts`",
        `Where sessions and login counters live: ${app.store.label} (\`${app.store.name === "redis" ? "REDIS_URL" : "DATABASE_URL"}\`), or memory in development.`,
      ]);
      if (app.store.name === "redis") {
        rows.push(
          ["`src/redis-store.ts`", "The Redis connection: one outage, one log line; the health check."],
          [
            "`src/redis-client.ts`",
            "The Redis client from `REDIS_URL`: one server, Sentinel or Cluster; how often it reconnects; `REDIS_WAIT_REPLICAS`.",
          ],
          ["`src/login-attempts-redis.ts`", "Login attempt counters in Redis, one Lua script per attempt."],
        );
      } else {
        rows.push(
          ["`src/postgres-store.ts`", "The `pg.Pool`: tables created at start, the hourly sweep, one outage, one log line; the health check."],
          ["`src/login-attempts-postgres.ts`", "Login attempt counters in PostgreSQL, one short transaction per attempt."],
        );
      }
      rows.push(
        ["`src/connection.ts`", "A deadline on a promise; a URL fit for a log line."],
        ["`src/login-throttle.ts`, `src/login-attempts-memory.ts`", "The throttling rule, and counters in memory (development without a store)."],
        ["`src/proxy.ts`", "`TRUST_PROXY`: which `X-Forwarded-*` to believe."],
        ["`src/telemetry.ts`", "`OTEL_EXPORTER_OTLP_ENDPOINT`: the OpenTelemetry SDK, loaded and started only when it is set."],
        ["`src/listen.ts`", "`PORT`/`--port`, the next free port in dev, `.env`."],
        ["`Dockerfile`, `.dockerignore`", "The container image: built with every dependency, run with the production ones."],
      );
      break;
    }
    case "workers-kv":
      rows.push(
        [
          "`src/worker.ts`",
          `The Workers entry: builds the app on the first request from the bindings and secrets${
            app.store.name === "durable-objects" ? ", exports both Durable Object classes" : ", exports the Durable Object class"
          }.`,
        ],
        ["`src/login-attempts.ts`", "`LoginAttempts`, the Durable Object that counts login attempts, and the app's view of it."],
        appRow,
        ["`src/login-throttle.ts`", "The throttling rule (see *Login throttling*)."],
        ["`wrangler.jsonc`", "The worker and its bindings."],
        [
          "`worker-configuration.d.ts`, `worker-runtime.d.ts`",
          "The bindings' types and workerd's runtime types, generated by `npm run cf-typegen` (`scripts/worker-types.mjs`).",
        ],
        [
          "`scripts/dev.ts`, `scripts/dev-secret.ts`",
          "`npm run dev`: wrangler dev with the demo user on, and the secrets `.dev.vars` lacks made and kept there.",
        ],
      );
      break;
    case "vercel-edge":
      rows.push(
        ["`api/index.ts`", "The Edge Function Vercel deploys."],
        ["`vercel.json`", "Rewrites every path to `/api`."],
        ["`public/`", "The static files, served before the function."],
        ["`src/edge-handler.ts`", "Reads the settings once per isolate, builds the app, hands it to the Vercel adapter."],
        ["`src/session-keys.ts`", "`SESSION_KEYS` checked key by key, then imported."],
        appRow,
        ["`src/login-throttle.ts`, `src/login-attempts-memory.ts`", "The throttling rule, and its counters in the isolate's memory."],
        ["`scripts/dev.ts`, `scripts/edge-server.ts`, `scripts/listen.ts`", "The local server for `npm run dev` and the tests."],
        ["`scripts/dev-session-keys.ts`, `scripts/app-env.ts`", "The dev server's `SESSION_KEYS`, and the settings it passes on to the function."],
      );
      break;
    case "netlify-edge": {
      rows.push(
        ["`netlify/edge-functions/app.ts`", "The edge function Netlify deploys on every path."],
        ["`netlify/edge-functions/login-rate-limit.ts`", "Netlify's rate limit on `POST /login`; the function itself passes the request on."],
        ["`netlify.toml`", "Routes every path to the app and `POST /login` to the rate limit; publishes `public/`."],
        ["`src/edge-handler.ts`", "Reads the settings once per isolate, builds the app, hands unknown GETs back to Netlify for static files."],
      );
      if (app.store.kind === "cookie") rows.push(["`src/session-keys.ts`", "`SESSION_KEYS` checked key by key, then imported."]);
      else
        rows.push(
          ["`src/sessions-blobs.ts`", "The `sessions` Blobs store, shared with the clean-up function; the health check's deadline."],
          ["`netlify/functions/clean-sessions.ts`", "A scheduled function: deletes expired sessions daily."],
        );
      rows.push(
        appRow,
        ["`src/login-throttle.ts`, `src/login-attempts-memory.ts`", "The throttling rule, and its counters in the isolate's memory."],
        ["`dev/local-server.ts`, `scripts/dev.ts`, `scripts/deno.ts`", "The local Deno server and the dev script, for `npm run dev` and the tests."],
        ["`scripts/netlify.mjs`", "`npm run build` and `npm run deploy`: Netlify's build with the app's own Deno, and the rate-limit check."],
        ["`types/deno.d.ts`", "The few Deno APIs used, for the type-check."],
      );
      break;
    }
  }
  rows.push(
    ["`src/users.ts`, `src/password.ts`", "Users from `USERS`, the demo user, PBKDF2 password hashing through Web Crypto."],
    ["`src/session-data.ts`, `src/preferences.ts`", "The schemas of the three sessions; the theme and the one-time notices in plain cookies."],
    ["`src/csrf.ts`, `src/form.ts`, `src/return-path.ts`", "Cross-site posts refused; bodies read through a byte counter; safe redirects."],
    ["`src/page.ts`, `src/profile.ts`, `src/time.ts`", "The layout, themed error pages and the favicon; the profile page."],
    [
      "`src/your-sessions.ts`, `src/sudo.ts`",
      lists(app)
        ? '"Your sessions" on the profile; sudo mode\'s window and password page.'
        : '"Your sessions" and sudo mode, used where the store can list sessions (not this one).',
    ],
    [
      "`src/activity.ts`",
      lists(app)
        ? '"Recent security activity" on the profile, from the session\'s events; its log, capped and expiring, in memory for `npm run dev`.'
        : '"Recent security activity", used where the store can list sessions (not this one).',
    ],
  );
  const netlifyNote =
    app.platform.template === "netlify-edge"
      ? "\n\nImports between the app's files end in `.ts` (with `allowImportingTsExtensions`), the form every\nDeno resolves as written."
      : "";
  return `| File | What it does |\n|---|---|\n${rows.map(([file, what]) => `| ${file} | ${what} |`).join("\n")}${netlifyNote}`;
}

function routes(app: App): string {
  if (!lists(app)) return "";
  return `Routes: \`GET /\`, \`GET /login\`, \`POST /login\` (303 to \`/profile\`; the form again with 401, or 429
when throttled), \`GET /profile\` (303 to \`/login\` when signed out), \`POST /logout\` (303 to \`/\`),
\`POST /sessions/revoke\` (field \`handle\`) and \`POST /sessions/revoke-others\` (303 to \`/profile\`, or
the password page when the last password is older than the window), \`POST /confirm-password\`
(fields \`password\`, \`action\`, \`handle\`; 303 to \`/profile\`, or the page again with 401 or 429),
\`POST /preferences\` (field \`theme\`, \`light\` or \`dark\`; 303 back to the page), \`GET /health\`,
\`GET /favicon.svg\`. Anything else gets the site's 404 page.`;
}

function behaviour(app: App): string[] {
  return [
    signIn(app),
    yourSessions(app),
    sessionCache(app),
    sudo(app),
    recentActivity(app),
    visitors(app),
    throttling(app),
    sharedBehaviour(app),
    cookieLimits(app),
  ].filter(Boolean);
}

function sessionCache(app: App): string {
  if (!app.store.sessionCache) return "";
  return `### The session cache: page loads without a store read

${storeName(app) === "PostgreSQL" ? "PostgreSQL" : "A Durable Object"} is a network round trip away, so the app turns on hattip-session's session cache
(\`src/session-cache.ts\`): with each store read or write, a copy of the session sealed with
\`SESSION_CACHE_KEYS\` (AES-256-GCM) goes to the browser in a second cookie, \`session.cache\`
(\`__Host-session.cache\` over https), and a \`GET\` or \`HEAD\` within **30 seconds** of that read
is answered from the copy, with no store read. The copy holds nothing the browser can read, and
answers only for the session ID it came with.

The cost, plainly: a device signed out from elsewhere ("Sign out everywhere else" on another device)
can still load plain pages, such as the home page, for up to 30 seconds. The pages that matter ask the
store every time (\`ctx.session.verify()\`): the profile, with its list of devices, the password
prompt and every sign-out action, so there the device is signed out at once. Every form post reads
the store anyway. To change the bound, change \`SESSION_CACHE_MAX_AGE_SECONDS\` in
\`src/session-cache.ts\` (seconds, not minutes); to turn the cache off, remove \`sessionCache\` where
the app is created.`;
}

function storeName(app: App): string {
  return (
    { redis: "Redis", postgres: "PostgreSQL", kv: "KV", "durable-objects": "its Durable Object", blobs: "Blobs", cookie: "" }[app.store.name] ?? ""
  );
}

function signIn(app: App): string {
  if (app.store.kind === "cookie") {
    return `### Sign-in, sign-out, and what a cookie store cannot do

\`POST /login\` calls \`ctx.session.regenerate()\` before it writes the user, and \`POST /logout\` calls
\`ctx.session.destroy()\`. With an encrypted cookie the cookie *is* the session: at sign-in it is
rewritten, so a cookie planted or copied before holds no sign-in, and a made-up one does not decrypt.
But the server keeps no record, so it cannot revoke a cookie: **logout clears the cookie in the
browser; a copy taken before logout stays valid until it expires** (7 days without use, 30 days at
most). If logout must end the session everywhere, use a server-side store (see *Other stores*), or a
short lifetime. The package's [SECURITY.md](${SECURITY_URL}) says more.`;
  }
  const where = storeName(app);
  const text = `### Sign-in gives a new session ID (session fixation)

\`POST /login\` calls \`ctx.session.regenerate()\` before it writes the user: the session gets a new ID
and any old one is deleted from ${where} at once. An ID planted in the browser before sign-in (a shared
computer, a subdomain that sets cookies) is never adopted, so whoever planted it gets nothing. The
profile page shows a fingerprint of the ID and the one it replaced. \`POST /logout\` calls
\`ctx.session.destroy()\`: the session is deleted from ${where} and the cookie cleared, so a copy of the
cookie is worthless from then on.`;
  if (!is(app, "workers-kv/kv")) return text;
  return `${text}

KV is eventually consistent: a logout is seen at once in the location that handled it, and elsewhere
within about a minute. \`KvSessionStore\` writes a tombstone on destroy so that a request still in
flight cannot bring the session back; the package's [SECURITY.md](${SECURITY_URL}) says what stays
open. Locally (Miniflare, \`wrangler dev\`) KV is strongly consistent.`;
}

function yourSessions(app: App): string {
  if (!lists(app)) {
    return `### No list of your devices, and why

Apps on a server-side store show, on the profile, every device the user is signed in on, with "Sign
out" for each and "Sign out everywhere else", and their recent security activity. This one cannot, and its profile says so in one line: an
encrypted cookie store keeps each session only in its browser's cookie, so the server has nothing to
list and nothing to delete (\`listSessions()\` and the revoke calls throw \`SessionUnsupportedError\`
rather than pretend). ${
      app.platform.template === "netlify-edge"
        ? "To offer it, keep sessions in Netlify Blobs (see *Other stores*), whose profile lists them."
        : "To offer it, keep sessions in a server-side store: on Vercel, run the app as a Node.js function with `RedisSessionStore` or `PostgresSessionStore`, since an Edge Function cannot open their connections; or start from `node-redis`."
    } Sessions are already bound to the user at sign-in (\`ctx.session.bindUser(username)\` in \`src/app.ts\`), and
the profile finds the list by itself. Sudo mode (\`markAuthenticated()\` at sign-in) works in the cookie
too, but guards nothing here, since signing devices out is its only use in these starters.`;
  }
  const index: Record<string, string> = {
    redis:
      "Redis keeps, per user, a sorted set of their session keys scored by expiry, in the same hash slot as the sessions (so it works on a Redis Cluster too) and expiring with them; the user name appears in no key, only its keyed hash (HMAC-SHA-256 under `SESSION_TAG_SECRET`), which no one without the secret can match against a list of names.",
    postgres:
      "The sessions table keeps a keyed hash of the user (HMAC-SHA-256 under `SESSION_TAG_SECRET`) beside each session (`user_hash`, indexed); the user name has no column of its own and is kept only inside the session's record.",
    kv: "`KvSessionStore` keeps one KV entry per session under a keyed hash of the user (HMAC-SHA-256 under `SESSION_TAG_SECRET`; the name is in no key), written before the session and expiring with it, with its list line in the metadata: one `list()` lists a user's sessions.",
    "durable-objects":
      "Every session of a user lives in one Durable Object, named by a keyed hash of the user (HMAC-SHA-256 under `SESSION_TAG_SECRET`; the name is in no object's name), so listing or revoking a user's sessions is one call to one object.",
    blobs:
      "A session bound to a user is stored under a keyed hash of the user (HMAC-SHA-256 under `SESSION_TAG_SECRET`; the name is in no key), so a user's sessions are one `list` away.",
  };
  const revokeSpeed = is(app, "workers-kv/kv")
    ? `

How fast a revoke takes effect is KV's consistency: at once in the Cloudflare location that ran it,
elsewhere as fast as KV propagates, which Cloudflare documents as up to 60 seconds or more; a sign-in
made in the last minute at another location may not be listed yet either, since \`list()\` is
eventually consistent too. If that minute matters, make the Durable Objects app (see *Other stores*).`
    : "";
  return `### Your sessions: sign out one device, or everywhere else

At sign-in the session is bound to the user (\`ctx.session.bindUser(username)\`), so the profile can
list every device the user is signed in on (\`ctx.session.listSessions()\`), as GitHub and Google do:
this device first, marked **This device** and **Active now**, then the others, most recently active
first, each with a label from the browser's user agent ("Firefox on Linux") and when it signed in and
was last active, in words ("2 minutes ago", "yesterday") inside a \`<time datetime>\` whose title is the
exact time, written by the server (no client JavaScript). Each other device has a **Sign out** button,
and **Sign out everywhere else** ends all of them but this one (\`revokeSession(handle)\`,
\`revokeOtherSessions()\`). The page says what happened with a one-time notice ("Signed out that
device."). A browser whose session ended while it still holds the cookie (signed out from another
device, or expired) is told "Your session has ended. Please sign in again." on the sign-in page,
without saying which.

${index[app.store.name] ?? ""} Listing writes nothing; "last active" is as fresh as the rolling
refresh. The form carries an opaque handle, never a session ID: a forged, stale or another user's
handle ends nothing and gets exactly the answer a real one gets, so handles cannot be probed. See the
package README's *A user's sessions* for the guarantees of each store.${revokeSpeed}`;
}

function sudo(app: App): string {
  if (!lists(app)) return "";
  return `### Sudo mode: a recent password for signing devices out

Signing other devices out is what someone holding a stolen session would do first, so it needs the
password entered within the last 10 minutes (\`ctx.session.markAuthenticated()\` at sign-in,
\`ctx.session.authenticatedWithin(seconds)\` before the action). Older, and the app shows a page that
asks for the password again (\`POST /confirm-password\`), with the pending action in hidden fields;
the right password performs it and renews the time, and the user stays signed in. Guesses on that
page count against the same throttle as sign-in (429 with \`Retry-After\`), and it is CSRF-checked as
every form is. \`SUDO_WINDOW_SECONDS\` changes the window (\`src/sudo.ts\`).`;
}

function recentActivity(app: App): string {
  if (!lists(app)) return "";
  const kept: Record<string, string> = {
    redis:
      "Redis keeps it as one list per user, `activity:<hash>`: each entry is pushed at the front, the list trimmed to 20 and given a 30-day expiry in one `MULTI` (`src/redis-store.ts`).",
    postgres:
      "PostgreSQL keeps it in the `hattip_security_activity` table, one row per entry: adding one deletes that user's rows beyond the newest 20 in the same statement, and the hourly sweep deletes rows older than 30 days (`src/postgres-store.ts`).",
    kv: "Workers KV is not used for it: each user's log is a Durable Object of the `LOGIN_ATTEMPTS` namespace (`activity:<hash>`), strongly consistent, whose alarm deletes it 30 days after its last entry (`src/login-attempts.ts`).",
    "durable-objects":
      "Each user's log is a Durable Object of the `LOGIN_ATTEMPTS` namespace (`activity:<hash>`), strongly consistent, whose alarm deletes it 30 days after its last entry (`src/login-attempts.ts`).",
    blobs:
      "Netlify Blobs keeps it in the `security-activity` store, one JSON blob per user: an append reads the blob and writes it back only at the ETag it read (`onlyIfMatch`, `onlyIfNew` for the first), retrying when another write came first, so two sign-ins at once both land (Netlify's local Blobs server, under `npm run dev`, checks the ETag and writes in two steps, so there two writes at the very same instant can still lose one). Blobs has no TTL: a read ignores a log whose last entry is 30 days old, and the daily `clean-sessions` function deletes it (`src/sessions-blobs.ts`).",
  };
  return `### Recent security activity

Below "Your sessions" the profile lists the user's last 20 security events, newest first: **Signed
in**, **Signed out** (this device), **Signed out another device**, **Signed out everywhere else** and
**Confirmed password** (sudo mode), each with the device it happened on (the label "Your sessions"
shows; for a sign-out of other devices, the device it was asked from) and how long ago, in a
\`<time datetime>\`. It is fed by the session's lifecycle events (\`session({ events })\`: \`bound\`,
\`destroyed\`, \`revoked\`, \`sudoConfirmed\`; \`src/activity.ts\`), never by the handlers, and each request's
entries are written before its response, so the page a sign-in lands on shows it. An entry holds what
happened, a device label and a time: no session ID, handle or address.

Each user's log is named by a keyed hash of the user name (HMAC-SHA-256 under \`SESSION_TAG_SECRET\`),
never the name. It keeps **the last 20 entries**, and **expires 30 days** after its last one (no entry
older than 30 days is shown). ${kept[app.store.name] ?? ""}${
    app.platform.template === "node-redis" ? " Under `npm run dev` without a store it is kept in the process's memory, like the sessions." : ""
  } A log that cannot be written never fails a sign-in or sign-out (the error is logged); one that cannot be
read leaves the rest of the profile as it is.`;
}

function visitors(app: App): string {
  if (!lists(app)) return "";
  const where = storeName(app);
  return `### Visitors who are not signed in cost nothing

Only a sign-in writes a session to ${where}. The "Please sign in" and "You have been signed out"
notices are flash values in a small cookie session of their own (\`notice\`), so a crawler hitting
\`/profile\` a million times creates nothing in ${where}. The cookie carries a code, never text: an
edited cookie can show only the app's own words.`;
}

function throttling(app: App): string {
  const rule =
    "per username and client address: after 10 attempts in a row that did not sign in, each further\n  attempt waits 5 s, then 10 s, 20 s, ... up to 15 minutes, answered with 429 and `Retry-After`. A\n  correct password resets it. Because the address is part of the key, a flood of guesses from one\n  place cannot lock the real user out from another;\n- per client address: the same backoff after 100 failures, against trying many names from one place.";
  const where: Record<string, string> = {
    "node-redis":
      "Counters are counted atomically when an attempt starts, so concurrent guesses cannot slip past the\ncheck. They are shared by every process and kept across restarts (gone an hour after their last\nattempt). A guesser spread over many addresses gets ten tries per address before backing off; for a\nhigh-value site add a second factor or a CAPTCHA after failures.",
    "workers-kv":
      "Each counter is one Durable Object, which runs one request at a time around its storage, so\nconcurrent guesses are counted one by one, and every Cloudflare location sees the same count. The\nclient's address is `CF-Connecting-IP`, set by Cloudflare. An alarm deletes a counter an hour after\nits last attempt.",
    "vercel-edge":
      "The address is `X-Forwarded-For`, which Vercel sets itself (a client cannot forge it there). The\ncounters live in the memory of one edge instance: they stop a single instance from being hammered,\nnot a guesser whose requests Vercel spreads over many instances. That is what the Firewall rule above\nis for.",
    "netlify-edge":
      "The address is `context.ip`, set by Netlify. These counters live in one edge isolate's memory, so\nthey cover only the requests that isolate serves; Netlify's rule above is the one that holds\neverywhere.",
  };
  const deviceKeys: Record<string, string> = {
    "node-redis/redis": "in Redis (`login-attempts:device-cookie-key`), made by the first process that needs it",
    "node-redis/postgres": "in PostgreSQL (the `hattip_login_keys` table), made by the first process that needs it",
    "workers-kv/kv": "in a Durable Object (`device-cookie-key`), made on first use",
    "workers-kv/durable-objects": "in a Durable Object (`device-cookie-key`), made on first use",
    "vercel-edge/cookie": "`SESSION_KEYS`, the keys of the session cookie",
    "netlify-edge/cookie": "`SESSION_KEYS`, the keys of the session cookie",
    "netlify-edge/blobs": "in Netlify Blobs (the `login-throttle` store), made by the first isolate that needs it",
  };
  return `### Login throttling

Before any password is hashed, three counters are checked and counted:

- ${rule}
- per account, across every address, against credential stuffing (one guess each from a thousand
  addresses, which the two counters above never see twice): OWASP's *device cookies*. A browser that
  signed in to the account before carries an encrypted cookie naming it (\`src/device-cookie.ts\`) and
  is judged on a counter of its own (10 in a row); every other browser shares the account's counter,
  which locks after 50 failures in an hour. A flood locks out the unknown browsers, not the user's own.
  The cookie lets nobody in; it only picks the counter. Its key: ${deviceKeys[`${app.platform.template}/${app.store.name}`] ?? "the app's keys"}.

${where[app.platform.template]}`;
}

function sharedBehaviour(app: App): string {
  const outage =
    app.store.kind === "cookie"
      ? ""
      : ' a store outage (`isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE")`, matched by code so it holds even with two copies of the package) and a login counter that cannot be reached give a 503 page with `Retry-After`;';
  const reconnect =
    app.store.name === "redis"
      ? `\n\nRedis gives up on a request after 2 s. While Redis is down the client tries to reconnect after 50 ms,
then twice as long each time, up to one try every 500 ms for as long as it stays down (\`src/redis-client.ts\`);
once Redis answers again, pages are served again within a second. The log gets one line when Redis
goes and one when it comes back.`
      : "";
  return `### The theme, CSRF, request bodies and errors

The theme lives in its own cookie, a named session whose \`UnsignedCookieStore({ parse })\` turns the
cookie's JSON into checked data with a zod schema (\`zod/mini\`, \`src/preferences.ts\`), so an edited
cookie (\`{"theme":"<script>"}\`, extra fields, not JSON) gives the defaults. Every schema of the app
(the login session, the notices, the forms, sudo) is zod's. Until the user picks a theme, the
page follows the system's light or dark setting.

A state-changing request is accepted only when \`Sec-Fetch-Site\` is \`same-origin\`, or, where a
browser sends none, when \`Origin\` is this site. \`Sec-Fetch-Site: none\` (a typed URL, a bookmark) is
refused for a post. A request with neither header is a script or curl: it passes only if it carries
no cookie, since then it acts for nobody but itself. \`SameSite=Lax\` on the cookie is a second layer.

Forms are read through a byte counter: past 8 KiB the read stops and the app answers 413, whatever
\`Content-Length\` says. The rest of the upload is never read.

\`ctx.handleError\` in \`src/app.ts\` is the one place that maps errors to pages:${outage} a body too large
gives 413; anything else is logged and answered with a 500 page, never a stack trace.${reconnect}`;
}

function cookieLimits(app: App): string {
  if (app.store.kind !== "cookie") return "";
  return `### Limits

A cookie holds at most 4096 bytes: keep the session small (the store refuses to write a larger one
with \`SessionTooLargeError\` rather than let the browser drop it silently).`;
}

function more(app: App): string {
  const size =
    app.platform.template === "workers-kv"
      ? `\n- The deployed worker: a test keeps it under 150 KiB before compression (\`test/deploy.test.ts\`).`
      : "";
  return `- [hattip-session documentation](${PACKAGE_URL}): every option and store.
- [SECURITY.md](${SECURITY_URL}) (also in \`node_modules/hattip-session/SECURITY.md\`): what the package
  protects against, and what it does not.${size}`;
}
