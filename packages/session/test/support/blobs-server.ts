/**
 * Netlify's own local Blobs server (`@netlify/blobs/server`, what
 * `netlify dev` runs), on a free 127.0.0.1 port with its files in a fresh
 * temp folder, and clients for it configured as Netlify configures them
 * (edge URLs, strong consistency). Every request it serves is counted by
 * operation. stop() and start() take it off its port and bring it back on
 * the same port and files, so tests can cut the store off and recover.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getStore, type Store } from "@netlify/blobs";
import { BlobsServer } from "@netlify/blobs/server";

const TOKEN = "hattip-session-test-token";
const SITE_ID = "hattip-session-test-site";

export interface LocalBlobs {
  readonly url: string;
  /** Requests served since start, by operation (get, getMetadata, set, delete, list). */
  readonly requests: Map<string, number>;
  /** A Blobs store (a namespace on this server), as `getStore` gives one on Netlify. */
  store(name: string): Store;
  /** What a Deno or Bun process needs to reach it. */
  readonly connection: { url: string; token: string; siteID: string };
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startLocalBlobs(): Promise<LocalBlobs> {
  const directory = await mkdtemp(join(tmpdir(), "hattip-session-blobs-"));
  const port = await freePort();
  const requests = new Map<string, number>();
  let server: BlobsServer | undefined;
  const start = async () => {
    server = new BlobsServer({
      directory,
      port,
      token: TOKEN,
      onRequest: ({ type }) => void requests.set(type, (requests.get(type) ?? 0) + 1),
    });
    await server.start();
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  await start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    connection: { url, token: TOKEN, siteID: SITE_ID },
    store: (name) => getStore({ name, siteID: SITE_ID, token: TOKEN, edgeURL: url, uncachedEdgeURL: url, consistency: "strong" }),
    stop,
    start,
    async destroy() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
