/**
 * The shared tests' way into this template: the edge function in a real
 * Deno, its context's client address taken from the connection as
 * Netlify's is. Sessions live in a cookie, so there is no store to count.
 */
import type { StarterHarness } from "../shared/harness.ts";
import { startApp } from "./start-app.ts";

export const harness: StarterHarness = {
  name: "netlify-edge",
  addressing: "socket",
  listsSessions: false,
  async start(options = {}) {
    const app = await startApp(options);
    return { url: app.url, storedSessions: async () => null, stop: () => app.stop() };
  },
};
