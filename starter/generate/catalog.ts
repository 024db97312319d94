/**
 * What the seven platform x store apps are, as data: the platforms, each
 * store's wiring, and every setting an app reads. The READMEs, example
 * files, entry files and `variants/stores.json` are generated from it
 * (readme.ts, env-example.ts, entries.ts), so a setting or a store is one
 * edit here.
 *
 * To add a setting to some apps (a secret for the server-side stores, say):
 * one entry in SETTINGS with `appliesTo` naming those apps; if the session
 * store takes it as an option, give it `storeOption` and every generated
 * entry of those apps passes it to the store's constructor. Its example
 * line, README row and checklist item follow from the same entry.
 */

export const TEMPLATES = ["node-redis", "workers-kv", "vercel-edge", "netlify-edge"] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/** Where the project lives, for links that must work from a scaffolded app. */
export const REPOSITORY_URL = "https://github.com/hattip-session/hattip-session";
export const PACKAGE_URL = "https://www.npmjs.com/package/hattip-session";

export interface Platform {
  template: TemplateName;
  /** "Node", "Cloudflare Workers", ... as a heading names it. */
  title: string;
  /** Where local settings are kept: `.env` or `.dev.vars`. */
  localSettingsFile: ".env" | ".dev.vars";
  /** The file that documents them, shipped with the app. */
  exampleFile: ".env.example" | ".dev.vars.example";
  /** How the code reads setting NAME (for the generated entries). */
  read(name: string): string;
  /** Where a deployed app's settings are set, for the checklist: "the host's secret settings", ... */
  deployedSettings: string;
  /** Screenshots in the repository (templates/<template>/docs/<file>), shown by absolute URL. */
  screenshots: readonly Screenshot[];
}

export interface Screenshot {
  file: string;
  alt: string;
  caption: string;
}

export type StoreKind = "server" | "cookie";

export interface Store {
  template: TemplateName;
  /** As `--store` takes it. */
  name: string;
  /** As a person names it: "Redis", "Workers KV". */
  label: string;
  /** create-app's one-line hint; it may name this store's own settings only. */
  hint: string;
  kind: StoreKind;
  /** The store's name on the profile page and in `/health`. */
  shownAs: string;
  /** package.json `description` of an app on this store. */
  description: string;
  /** Files of the template that an app on this store does not use (relative, "/" separators). */
  remove?: readonly string[];
  dependencies?: Readonly<Record<string, string>>;
  devDependencies?: Readonly<Record<string, string>>;
  removeDependencies?: readonly string[];
  removeScripts?: readonly string[];
  /** The local secrets create-app writes for this store, instead of the platform's; `[]`: none. */
  secrets?: readonly [];
  /** Whether the app turns the session cache on (session-cache.ts): for a store a round trip away from the app. */
  sessionCache?: true;
  /**
   * The hand-written files of this store's variant (in `variants/<name>/`),
   * besides what is generated; anything else there is an orphan.
   */
  variantFiles?: readonly string[];
}

export interface App {
  platform: Platform;
  store: Store;
  /** The template folder as it is (true) or one of its variants. */
  isDefault: boolean;
}

/** Where an app's own files go: the template folder for its default store, else `variants/<store>/`. */
export function appDir(app: App): string {
  return app.isDefault ? `templates/${app.platform.template}` : `templates/${app.platform.template}/variants/${app.store.name}`;
}

export function appId(app: App): string {
  return `${app.platform.template}/${app.store.name}`;
}

const SCREENSHOTS: readonly Screenshot[] = [
  { file: "home.png", alt: "Home page", caption: "Home" },
  { file: "login-error.png", alt: "Login form with an error", caption: "Wrong password" },
  { file: "profile.png", alt: "Profile page", caption: "Profile" },
  { file: "profile-dark.png", alt: "Profile page, dark theme", caption: "Dark theme" },
  { file: "profile-phone.png", alt: "Profile page on a 375 px phone", caption: "Phone" },
];
const SESSION_SCREENSHOTS: readonly Screenshot[] = [
  ...SCREENSHOTS,
  { file: "sessions.png", alt: "Profile with two devices", caption: "Your sessions" },
  { file: "confirm-password-phone.png", alt: "The password prompt of sudo mode", caption: "Password again before signing devices out" },
  { file: "activity-phone.png", alt: "Recent security activity on a 375 px phone", caption: "Recent security activity" },
];

export const PLATFORMS: Record<TemplateName, Platform> = {
  "node-redis": {
    template: "node-redis",
    title: "Node",
    localSettingsFile: ".env",
    exampleFile: ".env.example",
    read: (name) => `env.${name}`,
    deployedSettings: "the host's secret settings",
    screenshots: SESSION_SCREENSHOTS,
  },
  "workers-kv": {
    template: "workers-kv",
    title: "Cloudflare Workers",
    localSettingsFile: ".dev.vars",
    exampleFile: ".dev.vars.example",
    read: (name) => `env.${name}`,
    deployedSettings: "a secret (`npx wrangler secret put NAME`)",
    screenshots: SESSION_SCREENSHOTS,
  },
  "vercel-edge": {
    template: "vercel-edge",
    title: "Vercel Edge Functions",
    localSettingsFile: ".env",
    exampleFile: ".env.example",
    read: (name) => `process.env.${name}`,
    deployedSettings: "the project's environment variables (`npx vercel@58.10.0 env add NAME production`)",
    screenshots: SCREENSHOTS,
  },
  "netlify-edge": {
    template: "netlify-edge",
    title: "Netlify Edge Functions (Deno)",
    localSettingsFile: ".env",
    exampleFile: ".env.example",
    read: (name) => `readEnv("${name}")`,
    deployedSettings: "the site's environment variables (`npx netlify-cli@26.2.0 env:set NAME value`)",
    screenshots: SCREENSHOTS,
  },
};

/** Every store of every template, each template's default first. */
export const STORES: readonly Store[] = [
  {
    template: "node-redis",
    name: "redis",
    label: "Redis",
    hint: "sessions and login counters in Redis (REDIS_URL); Sentinel and Cluster too",
    kind: "server",
    shownAs: "Redis",
    description: "Login, logout and a theme preference on Node with sessions in Redis (hattip-session starter).",
  },
  {
    template: "node-redis",
    name: "postgres",
    label: "PostgreSQL",
    hint: "sessions and login counters in the PostgreSQL you already run (DATABASE_URL)",
    kind: "server",
    shownAs: "PostgreSQL",
    sessionCache: true,
    description: "Login, logout and a theme preference on Node with sessions in PostgreSQL (hattip-session starter).",
    remove: [
      "src/redis-client.ts",
      "src/redis-store.ts",
      "src/login-attempts-redis.ts",
      "test/support/redis-server.ts",
      "test/redis-restart.test.ts",
    ],
    removeDependencies: ["redis"],
    dependencies: { pg: "8.23.1" },
    devDependencies: { "@types/pg": "8.15.6" },
    variantFiles: ["src/postgres-store.ts", "src/login-attempts-postgres.ts", "test/startup.test.ts", "test/support/store.ts"],
  },
  {
    template: "workers-kv",
    name: "kv",
    label: "Workers KV",
    hint: "cheap global reads; a logout can take up to 60 s to reach other locations",
    kind: "server",
    shownAs: "Workers KV",
    description: "Login/logout starter on Cloudflare Workers with sessions in Workers KV and login throttling in Durable Objects (hattip-session).",
  },
  {
    template: "workers-kv",
    name: "durable-objects",
    label: "Durable Objects",
    hint: "strongly consistent: logout and revoke-everywhere hold at once, worldwide",
    kind: "server",
    shownAs: "Durable Objects",
    sessionCache: true,
    description: "Login/logout starter on Cloudflare Workers with sessions and login throttling in Durable Objects (hattip-session).",
    variantFiles: ["wrangler.jsonc", "worker-configuration.d.ts", "test/session-store.test.ts"],
  },
  {
    template: "vercel-edge",
    name: "cookie",
    label: "Encrypted cookie",
    hint: "the session sealed (AES-256-GCM) in the cookie itself; no database",
    kind: "cookie",
    shownAs: "an encrypted cookie (AES-256-GCM)",
    description: "Login, logout and a theme preference on Vercel Edge Functions with sessions in an encrypted cookie (hattip-session starter).",
  },
  {
    template: "netlify-edge",
    name: "cookie",
    label: "Encrypted cookie",
    hint: "the session sealed (AES-256-GCM) in the cookie itself; no database",
    kind: "cookie",
    shownAs: "an encrypted cookie (AES-256-GCM)",
    description: "Login/logout starter on Netlify Edge Functions (Deno) with an encrypted cookie session (hattip-session).",
  },
  {
    template: "netlify-edge",
    name: "blobs",
    label: "Netlify Blobs",
    hint: "server-side sessions in Netlify Blobs, read with strong consistency: logout holds at once",
    kind: "server",
    shownAs: "Netlify Blobs",
    description: "Login/logout starter on Netlify Edge Functions (Deno) with sessions in Netlify Blobs (hattip-session).",
    remove: ["scripts/generate-key.ts", "scripts/dev-session-keys.ts", "src/session-keys.ts", "test/dev-session-keys.test.ts"],
    removeScripts: ["generate-key"],
    dependencies: { "@netlify/blobs": "10.7.13" },
    secrets: [],
    variantFiles: [
      "netlify/functions/clean-sessions.ts",
      "scripts/dev.ts",
      "scripts/local-blobs.ts",
      "src/sessions-blobs.ts",
      "test/dev-server.test.ts",
      "test/session-store.test.ts",
      "test/support/harness.ts",
      "test/support/start-app.ts",
    ],
  },
];

export const APPS: readonly App[] = STORES.map((store) => ({
  platform: PLATFORMS[store.template],
  store,
  isDefault: STORES.find((candidate) => candidate.template === store.template) === store,
}));

export function appsOf(template: TemplateName): App[] {
  return APPS.filter((app) => app.platform.template === template);
}

/**
 * The files each template keeps as its own in the folders the generator
 * manages (src/, scripts/, variants/): edited by hand there, neither
 * copied from starter/ nor generated. Anything else in those folders that
 * the generator did not write is an orphan, and `sync.ts --check` says so.
 */
export const OWN_FILES: Record<TemplateName, readonly string[]> = {
  "node-redis": [
    "src/server.ts",
    "src/redis-client.ts",
    "src/redis-store.ts",
    "src/login-attempts-redis.ts",
    "src/proxy.ts",
    "src/connection.ts",
    "src/telemetry.ts",
  ],
  "workers-kv": ["src/login-attempts.ts", "scripts/dev.ts", "scripts/worker-types.mjs"],
  "vercel-edge": ["scripts/dev.ts", "scripts/edge-server.ts"],
  "netlify-edge": ["scripts/deno.mjs", "scripts/deno.ts", "scripts/install-deno.mjs", "scripts/dev.ts", "scripts/netlify.mjs"],
};

// ---------------------------------------------------------------------------
// Settings

export interface Setting {
  name: string;
  /** Which apps read it. */
  appliesTo(app: App): boolean;
  /** Its default, as the README's table and the example file state it (markdown without links). */
  default(app: App): string;
  /** What it does, one sentence (markdown). */
  summary(app: App): string;
  /** The value the example file shows on its commented line; the default's value when absent. */
  example?(app: App): string;
  /** Shown uncommented and empty in the example file, as a value the app needs and create-app fills. */
  filledByCreateApp?: boolean;
  /** A production checklist item (markdown), when a deploy must set or decide it. */
  checklist?(app: App): string;
  /**
   * When the session store takes it as a constructor option: the option's
   * key and its value as code, given the expression that reads the setting.
   */
  storeOption?: { key: string; value(read: string): string; import?: string };
}

const isNode = (app: App) => app.platform.template === "node-redis";
const onStore = (app: App, store: string) => app.store.name === store && isNode(app);
/** Stores that keep sessions on a server can list a user's devices: sudo mode guards signing them out. */
const listsSessions = (app: App) => app.store.kind === "server";
const isCookie = (app: App) => app.store.kind === "cookie";
const localDev = (app: App) => app.platform.template !== "workers-kv";

export const SETTINGS: readonly Setting[] = [
  {
    name: "REDIS_URL",
    appliesTo: (app) => onStore(app, "redis"),
    default: () => "none: `npm run dev` keeps sessions in memory; `npm start` refuses to start",
    summary: () => "Where sessions and login attempt counters live: `redis://` (`rediss://` for TLS), `redis+sentinel://` or `redis+cluster://`.",
    example: () => "redis://127.0.0.1:6379",
    checklist: () => "**`REDIS_URL`** set in the host's secret settings (`rediss://` for TLS). `npm start` refuses to start without it.",
  },
  {
    name: "REDIS_WAIT_REPLICAS",
    appliesTo: (app) => onStore(app, "redis"),
    default: () => "0 (logins do not wait for a replica)",
    summary: () => "With a replicated Redis: how many replicas must have a login or logout before it is answered (`WAIT`).",
    example: () => "1",
  },
  {
    name: "REDIS_WAIT_TIMEOUT_MS",
    appliesTo: (app) => onStore(app, "redis"),
    default: () => "1000 (half the store's 2 s timeout)",
    summary: () => "How long a login waits for those replicas before it answers 503.",
    example: () => "500",
  },
  {
    name: "DATABASE_URL",
    appliesTo: (app) => onStore(app, "postgres"),
    default: () => "none: `npm run dev` keeps sessions in memory; `npm start` refuses to start",
    summary: () => "Where sessions and login attempt counters live: a PostgreSQL database; the app creates its tables at start.",
    example: () => "postgres://user:password@127.0.0.1:5432/app",
    checklist: () =>
      "**`DATABASE_URL`** set in the host's secret settings: `postgres://user:password@host:5432/database`. `npm start` refuses to start without it.",
  },
  {
    name: "SESSION_KEYS",
    appliesTo: isCookie,
    default: () => "none: `npm run dev` makes one and writes it to `.env`; a deployed app answers 500 without it",
    summary: () =>
      "The AES-256 keys that seal the session cookie: base64url, comma-separated, newest first. Make one: `npm run --silent generate-key`.",
    filledByCreateApp: true,
    checklist: (app) =>
      `**\`SESSION_KEYS\`** in ${app.platform.deployedSettings.replace("NAME", "SESSION_KEYS").replace(" value", " <key>")}${
        app.platform.template === "vercel-edge" ? " for `production` (and `preview`, with another key, if you use preview deployments)" : ""
      }. Without a usable key every page answers a plain 500 and the log says why.`,
  },
  {
    name: "SESSION_TAG_SECRET",
    appliesTo: listsSessions,
    default: (app) =>
      isNode(app)
        ? "none: `npm run dev` makes one and writes it to `.env`; `npm start` refuses to start without it"
        : app.platform.template === "workers-kv"
          ? "none: `npm run dev` makes one and writes it to `.dev.vars`; a deployed worker answers 500 without it"
          : "none: `npm run dev` makes one and writes it to `.env`; a deployed function answers 500 without it",
    summary: () =>
      "The key (32 characters or more) of the HMAC that names each user in the session store, so that it lists and signs out a user's devices without holding user names. Make one: `node -p \"crypto.randomBytes(32).toString('base64url')\"`.",
    filledByCreateApp: true,
    checklist: (app) =>
      `**\`SESSION_TAG_SECRET\`** in ${app.platform.deployedSettings.replace("NAME", "SESSION_TAG_SECRET").replace(" value", " <secret>")}: 32 characters or more, the same for every instance, never the one in your local settings. Changing it signs everyone out.`,
    storeOption: {
      key: "userTagSecret",
      value: (read) => `userTagSecretFromSetting(${read})`,
      import: 'import { userTagSecretFromSetting } from "./user-tag.js";',
    },
  },
  {
    name: "SESSION_CACHE_KEYS",
    appliesTo: (app) => app.store.sessionCache === true,
    default: (app) =>
      isNode(app)
        ? "none: `npm run dev` makes one and writes it to `.env`; `npm start` refuses to start without it"
        : "none: `npm run dev` makes one and writes it to `.dev.vars`; a deployed worker answers 500 without it",
    summary: () =>
      "The AES-256 keys (base64url, comma-separated, newest first) that seal the session cache's copy of each session: a page load within 30 seconds of the last store read needs none. Make one: `node -p \"crypto.randomBytes(32).toString('base64url')\"`.",
    filledByCreateApp: true,
    checklist: (app) =>
      `**\`SESSION_CACHE_KEYS\`** in ${app.platform.deployedSettings.replace("NAME", "SESSION_CACHE_KEYS").replace(" value", " <key>")}: a key of its own, the same for every instance. To change it, put the new key first, then drop the old one 30 seconds later.`,
  },
  {
    name: "USERS",
    appliesTo: () => true,
    default: (app) =>
      ({
        "node-redis": "none: only the demo user, in `npm run dev`; `npm start` with no user refuses to start",
        "workers-kv": "none: only the demo user, in `npm run dev`; a deployed worker with no user answers 500",
        "vercel-edge": "none: only the demo user, in `npm run dev`; a deployed function with no user answers 500",
        "netlify-edge": "none: only the demo user, in `npm run dev`; a deployed function with no user answers 500",
      })[app.platform.template],
    summary: () => "Who may sign in: `name:hash` entries, separated by commas. Make one: `npm run hash-password -- <name>`.",
    example: () => "alice:pbkdf2-sha256$100000$...$...",
    checklist: (app) =>
      `**\`USERS\`** in ${app.platform.deployedSettings.replace("NAME", "USERS").replace(" value", " '<entries>'")}: one \`name:hash\` entry per user, separated by commas, made with \`npm run hash-password -- <name>\` (it asks for the password).`,
  },
  {
    name: "ALLOW_DEMO_USER",
    appliesTo: () => true,
    default: () => "1 in `npm run dev`, 0 deployed",
    summary: () => "1 lets `demo` / `demo-password` sign in (a private test deploy only); 0 turns it off, in development too.",
    example: () => "0",
    checklist: () => "The demo user is off when deployed. `ALLOW_DEMO_USER=1` turns it on, for a private test deploy only.",
  },
  {
    name: "SUDO_WINDOW_SECONDS",
    appliesTo: listsSessions,
    default: () => "600",
    summary: () => "How recently (in seconds) the password must have been entered to sign out other devices.",
    checklist: () =>
      "`SUDO_WINDOW_SECONDS` (default 600) only if signing out other devices should ask for the password again sooner or later than 10 minutes after it was last entered.",
  },
  {
    name: "TRUST_PROXY",
    appliesTo: isNode,
    default: () => "0",
    summary: () =>
      "1 behind a reverse proxy that terminates TLS and sets `X-Forwarded-For`/`-Proto` (Fly.io, Render, Railway, Heroku, nginx, a load balancer).",
    example: () => "1",
    checklist: () =>
      "**`TRUST_PROXY=1`** if a proxy that terminates TLS stands in front of the app: Fly.io, Render, Railway, Heroku, a load balancer, nginx or Caddy. The app then reads the scheme from `X-Forwarded-Proto` (so the session cookie becomes `__Host-session`, `Secure`) and the client's address from the right-most `X-Forwarded-For` entry, the one your proxy adds. Never set it without such a proxy: anyone could send those headers. Without it, the app warns once when requests carry `X-Forwarded-Proto`.",
  },
  {
    name: "OTEL_EXPORTER_OTLP_ENDPOINT",
    appliesTo: isNode,
    default: () => "none: no traces or metrics, and no part of the OpenTelemetry SDK is loaded",
    summary: () =>
      "An OpenTelemetry collector's OTLP/HTTP address: the sessions' traces and metrics go to its `/v1/traces` and `/v1/metrics`. The SDK's other `OTEL_*` settings apply too (see the README's *Traces and metrics*).",
    example: () => "http://127.0.0.1:4318",
    checklist: () =>
      "`OTEL_EXPORTER_OTLP_ENDPOINT` only if you collect traces and metrics: your collector's OTLP/HTTP address, with `OTEL_EXPORTER_OTLP_HEADERS` for a hosted backend's key (see *Traces and metrics*).",
  },
  {
    name: "OTEL_EXPORTER_OTLP_PROTOCOL",
    appliesTo: isNode,
    default: () => "http/json",
    summary: () => "How traces and metrics are sent: `http/json`, `http/protobuf`, or `grpc` (a collector's port 4317).",
    example: () => "http/protobuf",
  },
  {
    name: "OTEL_SERVICE_NAME",
    appliesTo: isNode,
    default: () => "the `name` in `package.json`",
    summary: () => "The service the traces and metrics are filed under.",
    example: () => "my-app",
  },
  {
    name: "PORT",
    appliesTo: localDev,
    default: (app) => (app.platform.template === "netlify-edge" ? "8888" : "3000"),
    summary: (app) =>
      isNode(app)
        ? "The port to listen on; in development a busy one moves to the next free one. `--port` wins."
        : "The port of the local server (`npm run dev`); a busy one moves to the next free one. `--port` wins.",
  },
  {
    name: "HOST",
    appliesTo: localDev,
    default: (app) => (isNode(app) ? "127.0.0.1 with `npm run dev`, 0.0.0.0 with `npm start`" : "127.0.0.1"),
    summary: (app) => (isNode(app) ? "The address to listen on. `--host` wins." : "The address of the local server. `--host` wins."),
    example: () => "127.0.0.1",
  },
];

export function settingsOf(app: App): Setting[] {
  return SETTINGS.filter((setting) => setting.appliesTo(app));
}

/** The secrets `npm run dev` makes when they are missing, as create-app does: the settings an example file leaves empty to fill. */
export function devSecretsOf(app: App): string[] {
  return settingsOf(app)
    .filter((setting) => setting.filledByCreateApp && setting.name !== "SESSION_KEYS")
    .map((setting) => setting.name);
}

/** The settings of `app` that its session store takes as constructor options. */
export function storeOptionsOf(app: App): Array<{ key: string; value: string; import?: string }> {
  return settingsOf(app).flatMap(({ storeOption, name }) =>
    storeOption
      ? [{ key: storeOption.key, value: storeOption.value(app.platform.read(name)), ...(storeOption.import ? { import: storeOption.import } : {}) }]
      : [],
  );
}
