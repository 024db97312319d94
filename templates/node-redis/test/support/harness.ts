/** The shared tests' way into this template: Node with a real store (store.ts), client addresses from the socket. */
import type { StarterHarness } from "../shared/harness.js";
import { startApp } from "./start-app.js";

export const harness: StarterHarness = {
  name: "node-redis",
  addressing: "socket",
  listsSessions: true,
  async start({ mode = "development", env = {} } = {}) {
    const app = await startApp({ mode, env });
    return {
      url: app.url,
      async storedSessions() {
        return (await app.store.sessionKeys()).length;
      },
      stop: () => app.stop(),
    };
  },
};
