/**
 * The shared tests' way into this template: the edge function in a real
 * Deno, its context's client address taken from the connection as
 * Netlify's is. Sessions live in Netlify's local Blobs server, counted there.
 */
import type { StarterHarness } from "../shared/harness.ts";
import { startApp } from "./start-app.ts";

export const harness: StarterHarness = {
  name: "netlify-edge",
  addressing: "socket",
  listsSessions: true,
  async start(options = {}) {
    const app = await startApp(options);
    return { url: app.url, storedSessions: async () => (await app.storedSessions()).length, stop: () => app.stop() };
  },
};
