/**
 * Where a Node-run server listens, and what it says when it cannot: the
 * settings (PORT and HOST, or `--port` and `--host`) checked with a message
 * that names them, a busy port moved to the next free one in development
 * (as Vite does) and refused in production, `.env` read with the real
 * environment winning. Errors are `ListenError`s; the entry decides how
 * the process ends.
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { createServer } from "node:net";
import { parseArgs } from "node:util";

/** A setting is wrong or the address is taken; the message says what to do. */
export class ListenError extends Error {
  override name = "ListenError";
}

export interface ServeOptions {
  port: number;
  host: string;
  /** `--dev` (development) or `--production`. */
  dev: boolean;
}

/**
 * The options of a dev or start command: `--port`/`--host` win over
 * PORT/HOST. `defaults.dev` is the mode without `--dev`/`--production`.
 */
export function serveOptions(argv: string[], env: NodeJS.ProcessEnv, defaults: { port: number; dev: boolean }): ServeOptions {
  let values: { dev?: boolean; production?: boolean; port?: string; host?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { dev: { type: "boolean" }, production: { type: "boolean" }, port: { type: "string" }, host: { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    throw new ListenError(`${(error as Error).message}. Options: --port <number>, --host <address>.`);
  }
  const dev = values.production ? false : values.dev ? true : defaults.dev;
  const port = parsePort(values.port ?? env.PORT ?? String(defaults.port), values.port !== undefined ? "--port" : "PORT");
  const host = values.host ?? env.HOST ?? (dev ? "127.0.0.1" : "0.0.0.0");
  return { port, host, dev };
}

export function parsePort(text: string, name: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535) {
    throw new ListenError(`${name} must be a whole number from 0 to 65535 (got "${text.slice(0, 20)}").`);
  }
  return value;
}

/** Loads `path` into process.env if it exists; variables already set win. */
export function loadDotEnv(path: string): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * Listens on the first free port from `port` on (development) or on `port`
 * only (production), and returns the port. `onMove` hears about each busy port.
 */
export async function listen(server: Server, { port, host, dev }: ServeOptions, onMove: (message: string) => void = console.warn): Promise<number> {
  for (let candidate = port; ; candidate++) {
    try {
      return await listenOnce(server, candidate, host);
    } catch (error) {
      if (canMove(error, dev, port, candidate)) {
        onMove(`Port ${candidate} is in use, trying ${candidate + 1} instead.`);
        continue;
      }
      throw explain(error, host, candidate);
    }
  }
}

/** Like `listen`, for a server in another process: finds the port it should take. */
export async function findPort(options: ServeOptions, onMove: (message: string) => void = console.warn): Promise<number> {
  const probe = createServer();
  try {
    return await listen(probe as unknown as Server, options, onMove);
  } finally {
    await new Promise((resolve) => probe.close(resolve));
  }
}

function canMove(error: unknown, dev: boolean, first: number, candidate: number): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "EADDRINUSE" && dev && first !== 0 && candidate < first + 20 && candidate < 65_535;
}

function explain(error: unknown, host: string, port: number): ListenError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new ListenError(`Port ${port} is already in use by another program. Stop it, or choose another: PORT=${port + 1}`);
  if (code === "EACCES") return new ListenError(`Port ${port} needs more rights than this user has. Choose one above 1023, like PORT=3000.`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new ListenError(`HOST ${host} is not an address of this machine. Try HOST=127.0.0.1, or HOST=0.0.0.0 for every interface.`);
  }
  return new ListenError(`Cannot listen on ${host}:${port}: ${(error as Error).message}`);
}

function listenOnce(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
