/**
 * A TCP proxy on loopback that holds every chunk for a fixed delay in each
 * direction, as a store in another region would: a query through it costs
 * at least twice the delay. Chunks keep their order (Node fires timers of
 * one duration first in, first out).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface LatencyProxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startLatencyProxy(target: { host: string; port: number }, delayMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    const relay = (from: Socket, to: Socket) => from.on("data", (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    relay(client, upstream);
    relay(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("The proxy has no port.");
  return {
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
