/**
 * Netlify's own local Blobs server (`@netlify/blobs/server`, what
 * `netlify dev` runs) for `npm run dev` and the tests: blobs kept as files
 * in `directory`, on a free 127.0.0.1 port, and the NETLIFY_BLOBS_CONTEXT
 * that points the function's `getStore()` at it, as Netlify's environment
 * points it at the real Blobs.
 */
import { randomBytes } from "node:crypto";
import { BlobsServer } from "@netlify/blobs/server";

export interface LocalBlobs {
  url: string;
  /** The value of NETLIFY_BLOBS_CONTEXT for the function. */
  context: string;
  stop(): Promise<void>;
}

const LOCAL_SITE_ID = "local-site";

export async function startLocalBlobs(directory: string): Promise<LocalBlobs> {
  const token = randomBytes(16).toString("hex");
  const server = new BlobsServer({ directory, token, port: 0 });
  const { port } = await server.start();
  const url = `http://127.0.0.1:${port}`;
  const context = btoa(JSON.stringify({ siteID: LOCAL_SITE_ID, token, edgeURL: url, uncachedEdgeURL: url }));
  let stopped: Promise<unknown> | undefined;
  return { url, context, stop: async () => void (await (stopped ??= server.stop())) };
}
