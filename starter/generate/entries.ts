/**
 * The entry files of the seven apps, from each platform's skeleton and
 * each store's wiring (WIRING below): what the entry imports, how it
 * builds the session store, what else it exports or checks. The settings
 * the store takes as options (catalog.ts, `storeOption`) are added to the
 * store's constructor here, so a new one reaches every app it applies to.
 */
import { readFileSync } from "node:fs";
import { type App, appId, devSecretsOf, settingsOf, storeOptionsOf } from "./catalog.js";

/**
 * Whether the shared app takes `deviceCookieKeys` (device cookies, sealed with keys every edge
 * isolate shares). This generator was written on a branch cut before they came; once both are in,
 * the check can go and EdgeWiring's `deviceCookies` always apply.
 */
const APP_TAKES_DEVICE_COOKIE_KEYS = readFileSync(new URL("../src/app.ts", import.meta.url), "utf8").includes("deviceCookieKeys");

const ACTIVITY_IMPORT = 'import { type ActivityLog, type ActivityStorage, keyedActivityLog, MemoryActivityStorage } from "./activity.js";';
const USER_TAG_IMPORT = 'import { userTagSecretFromSetting } from "./user-tag.js";';

/** How an app's entry builds its session store. */
interface Wiring {
  /** Imports the wiring needs, besides the platform's own ("hattip-session" names are merged). */
  sessionImports: readonly string[];
  moduleImports?: readonly string[];
  /** The session store's constructor, with `{options}` where the settings' options go. */
  sessionStore: string;
  /** A sentence for the entry's opening comment: where sessions live. */
  where: string;
}

interface NodeWiring extends Wiring {
  /** The setting that says where the store is; without it, development keeps sessions in memory. */
  urlSetting: string;
  urlExample: string;
  /** The store's module and its open function: `open(url, { dev, log, createSessionStore })`. */
  openFunction: string;
  openModule: string;
  /** The parameter `createSessionStore` receives: the client or pool. */
  client: string;
  /** What the store is, in the refusal: "Redis", "PostgreSQL". */
  storeWords: string;
}

interface WorkersWiring extends Wiring {
  /** Lines exported besides the login counters' class. */
  exports: readonly string[];
}

interface EdgeWiring extends Wiring {
  /** Statements at the top of `build()`. */
  prepare: readonly string[];
  /** Extra createApp options (after loginAttempts). */
  appOptions: readonly string[];
  /** Module-level code after `build()`. */
  after?: string;
  /** The keys that seal device cookies, the same in every isolate: what it imports, prepares and passes. */
  deviceCookies: { sessionImports?: readonly string[]; moduleImports?: readonly string[]; prepare?: readonly string[]; option: readonly string[] };
}

const WIRING: {
  node: Record<string, NodeWiring>;
  workers: Record<string, WorkersWiring>;
  edge: Record<string, EdgeWiring>;
} = {
  node: {
    "node-redis/redis": {
      urlSetting: "REDIS_URL",
      urlExample: "redis://host:6379",
      storeWords: "Redis",
      openModule: "./redis-store.js",
      openFunction: "openRedisStore",
      client: "client",
      sessionImports: ["RedisSessionStore"],
      moduleImports: ['import { redisDurability } from "./redis-client.js";'],
      sessionStore: 'new RedisSessionStore<LoginSession>({ getClient: () => client, prefix: "session:", durability: redisDurability(env){options} })',
      where: "Redis (REDIS_URL, redis-store.ts)",
    },
    "node-redis/postgres": {
      urlSetting: "DATABASE_URL",
      urlExample: "postgres://user:password@host:5432/database",
      storeWords: "PostgreSQL",
      openModule: "./postgres-store.js",
      openFunction: "openPostgresStore",
      client: "pool",
      sessionImports: ["PostgresSessionStore"],
      moduleImports: [],
      sessionStore: "new PostgresSessionStore<LoginSession>({ client: pool, timeout: POSTGRES_TIMEOUT_MS{options} })",
      where: "PostgreSQL (DATABASE_URL, postgres-store.ts)",
    },
  },
  workers: {
    "workers-kv/kv": {
      sessionImports: ["KvSessionStore"],
      sessionStore: "new KvSessionStore<LoginSession>({ getStore: () => env.SESSIONS{options} })",
      exports: [],
      where: "login sessions in Workers KV (SESSIONS)",
    },
    "workers-kv/durable-objects": {
      sessionImports: ["DurableObjectSessionStore"],
      sessionStore: "new DurableObjectSessionStore<LoginSession>({ getNamespace: () => env.SESSIONS{options} })",
      exports: [
        "// The class workerd instantiates for SESSIONS (wrangler.jsonc binds it and its migration creates it).",
        'export { SessionDurableObject } from "hattip-session";',
      ],
      where:
        "login sessions in Durable Objects (SESSIONS, the SessionDurableObject class exported below: one writer per session, so a logout holds worldwide at once)",
    },
  },
  edge: {
    cookie: {
      sessionImports: ["EncryptedCookieStore"],
      moduleImports: ['import { importSessionKeys } from "./session-keys.js";'],
      prepare: ["const keys = await importSessionKeys({read:SESSION_KEYS});"],
      sessionStore: "new EncryptedCookieStore<LoginSession>(keys{options})",
      appOptions: [],
      deviceCookies: {
        option: [
          "// Device cookies are sealed with the session keys too (each cookie bound to its own name), so every isolate opens them.",
          "deviceCookieKeys: async () => keys,",
        ],
      },
      where: "login sessions in an encrypted cookie (SESSION_KEYS, session-keys.ts)",
    },
    "netlify-edge/blobs": {
      sessionImports: ["NetlifyBlobsSessionStore"],
      moduleImports: [
        'import { answersWithin, BlobsActivityStorage, sessionsBlobs } from "./sessions-blobs.js";',
        'import { keyedActivityLog } from "./activity.js";',
        USER_TAG_IMPORT,
      ],
      prepare: [
        "const blobs = sessionsBlobs();",
        "// Each user's recent security activity, one blob per user in the `security-activity` store (sessions-blobs.ts).",
        "const activityLog = keyedActivityLog(new BlobsActivityStorage(), userTagSecretFromSetting({read:SESSION_TAG_SECRET}));",
      ],
      sessionStore: "new NetlifyBlobsSessionStore<LoginSession>({ getStore: () => blobs{options} })",
      appOptions: ['checkStore: () => answersWithin(blobs.list({ prefix: "health-check/" }), 3_000),', "activityLog,"],
      deviceCookies: {
        sessionImports: ["EncryptedCookieStore"],
        moduleImports: ['import { deviceCookieKey, loginThrottleBlobs } from "./sessions-blobs.js";'],
        prepare: ["const throttleBlobs = loginThrottleBlobs();"],
        option: [
          "// Kept in Blobs, so that a device cookie opens in every isolate, not only the one that sealed it.",
          "deviceCookieKeys: async () => EncryptedCookieStore.generateKeysFromBase64([await deviceCookieKey(throttleBlobs)]),",
        ],
      },
      where:
        "login sessions in Netlify Blobs (the `sessions` store, read with strong consistency, so a logout holds at once on every edge node; sessions-blobs.ts). Netlify gives the function its Blobs access by itself; locally, scripts/dev.ts starts Netlify's own Blobs server and passes NETLIFY_BLOBS_CONTEXT",
    },
  },
};

function edgeWiring(app: App): EdgeWiring {
  const wiring = WIRING.edge[appId(app)] ?? (app.store.kind === "cookie" ? WIRING.edge.cookie : undefined);
  if (!wiring) throw new Error(`No edge wiring for ${appId(app)}`);
  if (!APP_TAKES_DEVICE_COOKIE_KEYS) return wiring;
  const { deviceCookies } = wiring;
  return {
    ...wiring,
    sessionImports: [...wiring.sessionImports, ...(deviceCookies.sessionImports ?? [])],
    moduleImports: [...(wiring.moduleImports ?? []), ...(deviceCookies.moduleImports ?? [])],
    prepare: [...wiring.prepare, ...(deviceCookies.prepare ?? [])],
    appOptions: [...deviceCookies.option, ...wiring.appOptions],
  };
}

/** The constructor with the settings' options in, `{...}` extended or a second argument added. */
function sessionStoreCode(app: App, wiring: Wiring): string {
  const options = storeOptionsOf(app).map(({ key, value }) => `${key}: ${value}`);
  if (!wiring.sessionStore.includes("{options}")) throw new Error(`${appId(app)}: the wiring's sessionStore has no {options}`);
  if (options.length === 0) return wiring.sessionStore.replace("{options}", "");
  // `new X(keys{options})` takes its options as a second argument; `new X({ ...{options} })` inside its object.
  const insideObject = /\{[^{}]*\{options\}\s*\}/.test(wiring.sessionStore);
  return wiring.sessionStore.replace("{options}", insideObject ? `, ${options.join(", ")}` : `, { ${options.join(", ")} }`);
}

const SESSION_CACHE_IMPORT = 'import { sessionCacheFromSetting } from "./session-cache.js";';

/** The imports the settings' store options need. */
function storeOptionImports(app: App): string[] {
  return [...new Set(storeOptionsOf(app).flatMap((option) => (option.import ? [option.import] : [])))];
}

function hattipSessionImport(names: readonly string[]): string {
  const sorted = [...new Set(names)].sort((a, b) => stripType(a).localeCompare(stripType(b)));
  return `import { ${sorted.join(", ")} } from "hattip-session";`;
}

function stripType(name: string): string {
  return name.replace(/^type /, "");
}

/** The files in `app`'s own folder that its entry generator writes, relative to that folder. */
export function entryFiles(app: App): Record<string, string> {
  switch (app.platform.template) {
    case "node-redis":
      return { "src/login-store.ts": nodeLoginStore(app) };
    case "workers-kv":
      return { "src/worker.ts": workersEntry(app) };
    case "vercel-edge":
      return { "src/edge-handler.ts": vercelEntry(app), "scripts/app-env.ts": appEnv(app) };
    case "netlify-edge":
      return { "src/edge-handler.ts": netlifyEntry(app), "scripts/app-env.ts": appEnv(app) };
  }
}

function nodeLoginStore(app: App): string {
  const wiring = WIRING.node[appId(app)];
  if (!wiring) throw new Error(`No Node wiring for ${appId(app)}`);
  const url = wiring.urlSetting;
  const openImport =
    wiring.openModule === "./postgres-store.js"
      ? `import { ${wiring.openFunction}, POSTGRES_TIMEOUT_MS } from "${wiring.openModule}";`
      : `import { ${wiring.openFunction} } from "${wiring.openModule}";`;
  const imports = [
    hattipSessionImport([...wiring.sessionImports, "UnsafeMemoryStore", "type SessionCacheOptions", "type SessionStore"]),
    ACTIVITY_IMPORT,
    USER_TAG_IMPORT,
    'import type { StoreDescription } from "./app.js";',
    'import { MemoryAttemptStore } from "./login-attempts-memory.js";',
    'import type { AttemptStore } from "./login-throttle.js";',
    openImport,
    ...(wiring.moduleImports ?? []),
    ...storeOptionImports(app).filter((line) => line !== USER_TAG_IMPORT),
    ...(app.store.sessionCache ? [SESSION_CACHE_IMPORT] : []),
    'import type { LoginSession } from "./session-data.js";',
  ].sort(byModule);
  const cache = app.store.sessionCache ? ", sessionCache: () => sessionCacheFromSetting(env.SESSION_CACHE_KEYS)" : "";
  return `/**
${commentLines(`Where login sessions and login attempt counters live on Node: ${wiring.where} in production; in development without ${url}, this process's memory, so that \`npm run dev\` works on a machine with nothing installed. Errors are thrown, never turned into an exit here: server.ts owns process control.`)}
 */
${imports.join("\n")}

/** The secrets \`npm run dev\` makes and keeps in .env when they are missing (server.ts); production requires them. */
export const DEV_SECRETS: readonly string[] = [${devSecretsOf(app)
    .map((name) => `"${name}"`)
    .join(", ")}];

export interface LoginStore {
  store: SessionStore<LoginSession>;
  description: StoreDescription;
  /** Where it is, for the start-up line (no password). */
  location: string;
  /** Something the person starting the app must know. */
  warning?: string;
  loginAttempts: AttemptStore;
  /** Where "Recent security activity" is kept (activity.ts): beside the sessions, each user's log under a keyed hash of the name. */
  activityLog: ActivityLog;
  checkStore?: () => Promise<boolean>;
  /** The session cache's option (session-cache.ts), where this store turns it on. */
  sessionCache?: () => Promise<SessionCacheOptions>;
  /** Resolves once the store answers (and is ready for sessions), or after \`ms\` with \`false\`. */
  waitUntilReachable(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** What a store's module opens: all of a LoginStore but how the app names it, and the activity's storage before it is keyed by SESSION_TAG_SECRET. */
export type StoreConnection = Omit<LoginStore, "description" | "activityLog"> & { activityStorage: ActivityStorage };

/** What a store's module is given: the mode, where to report an outage, and how to make the session store on its client. */
export interface ConnectOptions<CreateSessionStore> {
  dev: boolean;
  log: (message: string) => void;
  createSessionStore: CreateSessionStore;
}

/** Production without ${url}: sessions in memory would vanish on restart and differ per process. */
export class MissingStoreUrlError extends Error {
  override name = "MissingStoreUrlError";
  constructor() {
    super(
      "${url} is not set. In production, sessions and login attempt counters must live in ${wiring.storeWords}: " +
        "set ${url}=${wiring.urlExample} (in .env or the host's settings), or use npm run dev to try the app without it.",
    );
  }
}

export interface OpenOptions {
  /** The settings (README.md, "Settings"). */
  env: NodeJS.ProcessEnv;
  dev: boolean;
  /** Where to report an outage (once per outage). */
  log: (message: string) => void;
}

export function openLoginStore({ env, dev, log }: OpenOptions): LoginStore {
  const url = env.${url};
  if (url) {
    const { activityStorage, ...connection } = ${wiring.openFunction}(url, {
      dev,
      log,
      createSessionStore: (${wiring.client}) => ${sessionStoreCode(app, wiring)},
    });
    return {
      ...connection,
      activityLog: keyedActivityLog(activityStorage, userTagSecretFromSetting(env.SESSION_TAG_SECRET)),
      description: { name: "${app.store.shownAs}", cookieHolds: "id" }${cache},
    };
  }
  if (!dev) throw new MissingStoreUrlError();
  return {
    store: new UnsafeMemoryStore<LoginSession>(),
    description: { name: "this process's memory (development only)", cookieHolds: "id" },
    location: "in memory, development only",
    warning: [
      "WARNING: ${url} is not set, so sessions and login attempt counters are kept in this process's memory.",
      "  They vanish on every restart (and every reload on edit) and are not shared between processes.",
      "  Fine for trying the app, never for production. For a real ${wiring.storeWords}, set ${url} in .env (see .env.example).",
    ].join("\\n"),
    loginAttempts: new MemoryAttemptStore(),
    // Gone with the process like the sessions beside it; keyed all the same, as every store's log is.
    activityLog: keyedActivityLog(new MemoryActivityStorage(), userTagSecretFromSetting(env.SESSION_TAG_SECRET)),
    waitUntilReachable: async () => true,
    close: async () => {},
  };
}
`;
}

function workersEntry(app: App): string {
  const wiring = WIRING.workers[appId(app)];
  if (!wiring) throw new Error(`No Workers wiring for ${appId(app)}`);
  const settings = settingsOf(app);
  const settingLines = settings.map((setting) => `  /** ${plain(setting.summary(app))} */\n  ${setting.name}?: string;`).join("\n");
  return `/**
${commentLines(`The Cloudflare Workers entry: ${wiring.where}, login attempt counters in Durable Objects (LOGIN_ATTEMPTS), users from the USERS secret. The app is built on the first request, when the bindings are known, and kept for the isolate's life. A setting that is wrong gives every request a plain 500 page, and the log says which setting and how to fix it.`)}
 */
import cloudflareWorkersAdapter from "@hattip/adapter-cloudflare-workers/no-static";
${hattipSessionImport(wiring.sessionImports)}
import { keyedActivityLog } from "./activity.js";
import { createApp } from "./app.js";
import { DurableObjectActivityStorage, DurableObjectAttemptStore } from "./login-attempts.js";
import { errorPage } from "./page.js";
${app.store.sessionCache ? `${SESSION_CACHE_IMPORT}\n` : ""}import type { LoginSession } from "./session-data.js";
import { sudoWindowFromSetting } from "./sudo.js";
${storeOptionImports(app)
  .map((line) => `${line}\n`)
  .join("")}import { usersFromSettings } from "./users.js";

export { LoginAttempts } from "./login-attempts.js";
${wiring.exports.length > 0 ? `${wiring.exports.join("\n")}\n` : ""}
/** Settings that are not bindings (README.md, "Settings"): secrets, or variables (\`npm run dev\` sets ALLOW_DEMO_USER). */
interface Settings {
${settingLines}
}

type Handler = ReturnType<typeof cloudflareWorkersAdapter>;
let ready: Promise<Handler> | undefined;

async function build(env: Env & Settings): Promise<Handler> {
  const users = usersFromSettings({ users: env.USERS, allowDemoUser: env.ALLOW_DEMO_USER, development: false });
  const app = createApp({
    loginStore: ${sessionStoreCode(app, wiring)},
    store: { name: "${app.store.shownAs}", cookieHolds: "id" },
    users,
    loginAttempts: new DurableObjectAttemptStore(env.LOGIN_ATTEMPTS),
    // Each user's recent security activity in an object of the same namespace (login-attempts.ts).
    activityLog: keyedActivityLog(new DurableObjectActivityStorage(env.LOGIN_ATTEMPTS), userTagSecretFromSetting(env.SESSION_TAG_SECRET)),
    sudoWindowSeconds: sudoWindowFromSetting(env.SUDO_WINDOW_SECONDS),${
      app.store.sessionCache
        ? "\n    // Page loads within 30 s of a store read need no call to the session's object (session-cache.ts).\n    sessionCache: await sessionCacheFromSetting(env.SESSION_CACHE_KEYS),"
        : ""
    }
  });
  return cloudflareWorkersAdapter(app);
}

export default {
  async fetch(request, env, ctx) {
    let handler: Handler;
    try {
      handler = await (ready ??= build(env).catch((error: unknown) => {
        // Try again on the next request: the settings may be fixed by then.
        ready = undefined;
        throw error;
      }));
    } catch (error) {
      console.error(\`The app is not configured: \${(error as Error).message}\`);
      return errorPage(500, "The app is not configured yet. Its log says what is missing.");
    }
    return handler(request, env, ctx);
  },
} satisfies ExportedHandler<Env & Settings>;
`;
}

/** What the edge entries share: build() from the wiring, with the settings read through `app.platform.read`. */
function edgeBuild(app: App, adapter: string, suffix: ".js" | ".ts"): { imports: string[]; build: string; after: string } {
  const wiring = edgeWiring(app);
  const read = app.platform.read;
  const names = new Set(settingsOf(app).map((setting) => setting.name));
  const fill = (line: string) => line.replace(/\{read:([A-Z_]+)\}/g, (_, name: string) => read(name));
  const imports = [
    hattipSessionImport(wiring.sessionImports),
    'import { createApp } from "./app.js";',
    'import { MemoryAttemptStore } from "./login-attempts-memory.js";',
    'import { errorPage } from "./page.js";',
    'import type { LoginSession } from "./session-data.js";',
    ...(wiring.moduleImports ?? []),
    ...(names.has("SUDO_WINDOW_SECONDS") ? ['import { sudoWindowFromSetting } from "./sudo.js";'] : []),
    ...storeOptionImports(app),
    'import { usersFromSettings } from "./users.js";',
  ].map((line) => (suffix === ".ts" ? line.replace(/(from "\.\/[^"]+)\.js"/, '$1.ts"') : line));
  const appOptions = [
    `loginStore: ${sessionStoreCode(app, wiring)},`,
    `store: { name: "${app.store.shownAs}", cookieHolds: "${app.store.kind === "cookie" ? "data" : "id"}" },`,
    "users,",
    "loginAttempts: new MemoryAttemptStore(),",
    ...(names.has("SUDO_WINDOW_SECONDS") ? [`sudoWindowSeconds: sudoWindowFromSetting(${read("SUDO_WINDOW_SECONDS")}),`] : []),
    ...wiring.appOptions,
  ];
  const build = `async function build(): Promise<${adapter}> {
${wiring.prepare.map((line) => `  ${fill(line)}`).join("\n")}
  const users = usersFromSettings({ users: ${read("USERS")}, allowDemoUser: ${read("ALLOW_DEMO_USER")}, development: false });
  const app = createApp({
${appOptions.map((line) => `    ${line}`).join("\n")}
  });`;
  return { imports: mergeImports(imports).sort(byModule), build, after: wiring.after ?? "" };
}

function vercelEntry(app: App): string {
  const wiring = edgeWiring(app);
  const { imports, build } = edgeBuild(app, "VercelEdgeFunction", ".js");
  return `/**
${commentLines(`The Vercel Edge entry: the app with ${wiring.where}. Its settings (README.md, "Settings") come from the environment and are read once per isolate, on its first request. A setting that is wrong gives a plain 500 page, and the log names the setting and the fix.`)}
 *
 * Login attempts are counted in the isolate's memory: a per-instance layer
 * under the Vercel Firewall rate-limit rule that README.md gives.
 */
import vercelAdapter, { type VercelEdgeFunction } from "@hattip/adapter-vercel-edge";
${imports.join("\n")}

type EdgeFunction = (request: Request, context: Parameters<VercelEdgeFunction>[1]) => Promise<Response>;

let ready: Promise<VercelEdgeFunction> | undefined;

export const handleRequest: EdgeFunction = async (request, context) => {
  let handler: VercelEdgeFunction;
  try {
    handler = await (ready ??= build().catch((error: unknown) => {
      // Try again on the next request: the environment may be fixed by a redeploy.
      ready = undefined;
      throw error;
    }));
  } catch (error) {
    console.error(\`The app is not configured: \${error instanceof Error ? error.message : String(error)}\`);
    return errorPage(500, "The app is not configured yet. Its log says what is missing.");
  }
  return (await handler(request, context)) ?? errorPage(404, "Not found.");
};

${build}
  return vercelAdapter(app);
}
`;
}

function netlifyEntry(app: App): string {
  const wiring = edgeWiring(app);
  const { imports, build } = edgeBuild(app, "NetlifyEdgeFunction", ".ts");
  return `/**
${commentLines(`The Netlify Edge entry: the app with ${wiring.where}. Its settings (README.md, "Settings") come from the environment and are read once per isolate, on its first request. A setting that is wrong gives a plain 500 page, and the log names the setting and the fix.`)}
 *
 * Static files: the function runs for every path, so a GET the app does
 * not know is handed back to Netlify (\`context.next()\`), which serves the
 * file from public/ if there is one; otherwise the app's own 404 page.
 *
 * Login attempts are counted in the isolate's memory: a per-instance layer
 * under the rate-limit rule of netlify/edge-functions/login-rate-limit.ts.
 */
import netlifyEdgeAdapter, { type NetlifyContext, type NetlifyEdgeFunction } from "@hattip/adapter-netlify-edge";
${imports.join("\n")}

let ready: Promise<NetlifyEdgeFunction> | undefined;

export async function handleRequest(request: Request, context: NetlifyContext): Promise<Response | undefined> {
  let handler: NetlifyEdgeFunction;
  try {
    handler = await (ready ??= build().catch((error: unknown) => {
      // Try again on the next request: the environment may be fixed by a redeploy.
      ready = undefined;
      throw error;
    }));
  } catch (error) {
    console.error(\`The app is not configured: \${error instanceof Error ? error.message : String(error)}\`);
    return errorPage(500, "The app is not configured yet. Its log says what is missing.");
  }
  const response = await handler(request, context);
  if (response?.status === 404 && (request.method === "GET" || request.method === "HEAD")) {
    const staticFile = await context.next();
    if (staticFile.status !== 404) return staticFile;
  }
  return response;
}

${build}
  return netlifyEdgeAdapter(app);
}

/** \`Netlify.env\` on Netlify; \`Deno.env\` wherever else Deno runs this function. */
function readEnv(name: string): string | undefined {
  const { Netlify } = globalThis as { Netlify?: { env: { get(name: string): string | undefined } } };
  return Netlify ? Netlify.env.get(name) : Deno.env.get(name);
}
`;
}

/** The edge apps' list of settings, for the local dev server, which passes exactly these on to the function. */
function appEnv(app: App): string {
  const names = settingsOf(app)
    .map((setting) => setting.name)
    .filter((name) => name !== "PORT" && name !== "HOST");
  const storeEnv = app.store.name === "blobs" ? ["NETLIFY_BLOBS_CONTEXT", "NODE_ENV"] : [];
  return `/** The settings the function reads (README.md, "Settings"): \`npm run dev\` passes these on to it, and no others. */
export const APP_SETTINGS = [${names.map((name) => `"${name}"`).join(", ")}] as const;

/** What the session store's own client reads from the environment, besides. */
export const STORE_ENV: readonly string[] = [${storeEnv.map((name) => `"${name}"`).join(", ")}];
`;
}

/** `text` as the lines of a block comment, at most 76 characters each. */
function commentLines(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > 76) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((each) => ` * ${each}`).join("\n");
}

/** Markdown to a plain comment line. */
function plain(markdown: string): string {
  return markdown.replace(/`/g, "");
}

/** One `import { ... } from "x";` line per module, its names merged. */
function mergeImports(lines: readonly string[]): string[] {
  const named = new Map<string, Set<string>>();
  const others: string[] = [];
  for (const line of lines) {
    const match = /^import \{ ([^}]+) \} from "([^"]+)";$/.exec(line);
    if (!match) others.push(line);
    else for (const name of match[1]!.split(", ")) named.set(match[2]!, (named.get(match[2]!) ?? new Set()).add(name));
  }
  return [
    ...others,
    ...[...named].map(
      ([module, names]) => `import { ${[...names].sort((a, b) => stripType(a).localeCompare(stripType(b))).join(", ")} } from "${module}";`,
    ),
  ];
}

/** Sorts import lines by module: packages first, then relative paths, as Biome's organizer does. */
function byModule(a: string, b: string): number {
  const from = (line: string) => /from "([^"]+)"/.exec(line)?.[1] ?? "";
  const [x, y] = [from(a), from(b)];
  const rank = (module: string) => (module.startsWith(".") ? 1 : 0);
  return rank(x) - rank(y) || x.localeCompare(y);
}
