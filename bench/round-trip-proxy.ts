/**
 * A TCP proxy on loopback that counts round trips between a client and
 * Redis: a round trip starts each time the client sends after the server
 * last spoke (or for the first time). Commands pipelined in one write, or
 * in several writes with no answer between them, count as one. Given a
 * delay, it holds every chunk that long in each direction, as a store in
 * another region would (chunks keep their order: Node fires timers of one
 * duration first in, first out).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface RoundTripProxy {
  /** `redis://127.0.0.1:<port>`, to give the client instead of Redis's own address. */
  readonly url: string;
  readonly port: number;
  /** Round trips since start (or the last reset). */
  roundTrips(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRoundTripProxy(target: { host: string; port: number }, delayMs = 0): Promise<RoundTripProxy> {
  const send = (to: Socket, chunk: Buffer) => (delayMs > 0 ? setTimeout(() => to.destroyed || to.write(chunk), delayMs) : to.write(chunk));
  let roundTrips = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    // As node-redis and Redis do: with Nagle on, a second pipelined write would wait for the ACK of the first (up to 40 ms).
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    let serverSpokeLast = true;
    client.on("data", (chunk) => {
      if (serverSpokeLast) roundTrips++;
      serverSpokeLast = false;
      send(upstream, chunk);
    });
    upstream.on("data", (chunk) => {
      serverSpokeLast = true;
      send(client, chunk);
    });
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
    url: `redis://127.0.0.1:${address.port}`,
    port: address.port,
    roundTrips: () => roundTrips,
    reset: () => void (roundTrips = 0),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
