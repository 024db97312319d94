/**
 * Every template the browser test drives. Each starts the way its own
 * tests do, through the `startApp()` of its test support; adding a
 * template is adding one entry.
 */
export interface RunningTemplate {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  stop(): Promise<void>;
}

export interface BrowserTemplate {
  /** The folder under templates/: screenshots go to templates/<name>/docs/. */
  name: string;
  /** Whether its login store lists a user's sessions ("Your sessions" on the profile). */
  listsSessions: boolean;
  /** `env`: more settings for the app (USERS, SUDO_WINDOW_SECONDS, ...). */
  start(env?: Record<string, string>): Promise<RunningTemplate>;
}

export const BROWSER_TEMPLATES: BrowserTemplate[] = [
  {
    name: "node-redis",
    listsSessions: true,
    start: async (env) => (await import("../../templates/node-redis/test/support/start-app.js")).startApp({ env }),
  },
  {
    name: "vercel-edge",
    listsSessions: false,
    start: async (env) => (await import("../../templates/vercel-edge/test/support/start-app.js")).startApp({ env }),
  },
  {
    name: "workers-kv",
    listsSessions: true,
    start: async (env) => (await import("../../templates/workers-kv/test/support/start-app.js")).startApp({ env }),
  },
  {
    name: "netlify-edge",
    listsSessions: false,
    start: async (env) => (await import("../../templates/netlify-edge/test/support/start-app.js")).startApp({ env }),
  },
];
