/**
 * The shared tests' way into this template: the Edge Function in Vercel's
 * edge-runtime. Sessions live in a cookie, so there is no store to count;
 * the local server sets X-Forwarded-For from the connection, as Vercel does.
 */
import type { StarterHarness } from "../shared/harness.js";
import { startApp } from "./start-app.js";

export const harness: StarterHarness = {
  name: "vercel-edge",
  addressing: "socket",
  listsSessions: false,
  async start(options = {}) {
    const app = await startApp(options);
    return { url: app.url, storedSessions: async () => null, stop: () => app.stop() };
  },
};
