import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";

/**
 * Packs `templateDir` as a .tar.gz whose entries sit under `prefix` (giget
 * drops the first path segment, as in GitHub's archives).
 */
export function packTemplate(templateDir: string, workDir: string, prefix: string, name: string, extraFiles: Record<string, string> = {}): string {
  const staging = join(workDir, `${name}-staging`);
  mkdirSync(join(staging, prefix), { recursive: true });
  cpSync(templateDir, join(staging, prefix), { recursive: true });
  for (const [file, text] of Object.entries(extraFiles)) {
    mkdirSync(dirname(join(staging, prefix, file)), { recursive: true });
    writeFileSync(join(staging, prefix, file), text);
  }
  const tarball = join(workDir, `${name}.tar.gz`);
  execFileSync("tar", ["-czf", tarball, "-C", staging, prefix.split("/")[0]!]);
  return tarball;
}

export interface TarballServer {
  origin: string;
  requests: string[];
  close(): Promise<void>;
}

/** The path whose download starts and then never finishes, to interrupt the CLI mid-copy. */
export const STALLED_PATH = "/stalled.tar.gz";

/** Serves the given tarballs by URL path on 127.0.0.1; anything else is a 404. */
export async function serveTarballs(routes: Record<string, string>): Promise<TarballServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (request.url === STALLED_PATH) {
      response.writeHead(200, { "content-type": "application/gzip", "content-length": 1_000_000 });
      if (request.method === "HEAD") response.end();
      else response.write(Buffer.alloc(1024));
      return;
    }
    const file = routes[request.url ?? ""];
    if (!file) {
      response.writeHead(404).end("not found");
      return;
    }
    const body = readFileSync(file);
    response.writeHead(200, { "content-type": "application/gzip", "content-length": body.length });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
