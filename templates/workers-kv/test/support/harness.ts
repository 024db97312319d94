/**
 * The shared tests' way into this template: the worker in workerd
 * (Miniflare), KV and Durable Objects in memory. Miniflare sets
 * CF-Connecting-IP from the connection, as Cloudflare does, so client
 * addresses come from the socket.
 */
import type { StarterHarness } from "../shared/harness.js";
import { startApp } from "./start-app.js";

export const harness: StarterHarness = {
  name: "workers-kv",
  addressing: "socket",
  listsSessions: true,
  async start(options = {}) {
    const app = await startApp(options);
    return {
      url: app.url,
      // Live sessions and logout tombstones alike: any key is a KV write.
      storedSessions: async () => (await app.storedSessions()).length,
      stop: () => app.stop(),
    };
  },
};
