/**
 * Serves a Hattip app over real HTTP on a free 127.0.0.1 port, through
 * @hattip/adapter-node, the way an app runs in production on Node.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createMiddleware, type NodeAdapterOptions } from "@hattip/adapter-node";
import type { HattipHandler } from "@hattip/core";

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(handler: HattipHandler, options?: NodeAdapterOptions): Promise<Served> {
  const server: Server = createServer(createMiddleware(handler, options));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
