/**
 * The Node entry: picks the login session store, serves the app, and
 * shuts down cleanly.
 *
 *   npm run dev   REDIS_URL if set, else an in-memory store (with a warning)
 *   npm start     production: REDIS_URL is required
 *
 * PORT (default 3000) and HOST (default 127.0.0.1 in dev, 0.0.0.0 otherwise) set where it listens.
 */
import { createServer } from "@hattip/adapter-node";
import { createApp } from "./app.js";
import { openLoginStore } from "./login-store.js";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? (dev ? "127.0.0.1" : "0.0.0.0");

const loginStore = await openLoginStore({ redisUrl: process.env.REDIS_URL, dev });
const server = createServer(createApp({ loginStore: loginStore.store }));

server.listen(port, host, () => {
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const shownHost = host === "0.0.0.0" ? "localhost" : host;
  console.log(`Listening on http://${shownHost}:${actualPort} (sessions: ${loginStore.description})`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void loginStore.close().finally(() => process.exit(0));
  });
}
