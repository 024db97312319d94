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
  start(): Promise<RunningTemplate>;
}

export const BROWSER_TEMPLATES: BrowserTemplate[] = [
  {
    name: "node-redis",
    start: async () => (await import("../../templates/node-redis/test/support/start-app.js")).startApp(),
  },
  {
    name: "vercel-edge",
    start: async () => (await import("../../templates/vercel-edge/test/support/start-app.js")).startApp(),
  },
  {
    name: "workers-kv",
    start: async () => (await import("../../templates/workers-kv/test/support/start-app.js")).startApp(),
  },
  {
    name: "netlify-edge",
    start: async () => (await import("../../templates/netlify-edge/test/support/start-app.js")).startApp(),
  },
];
