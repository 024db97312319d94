// The few Deno APIs this template uses, so that it type-checks with the
// project's TypeScript without Deno's own type library.
declare namespace Deno {
  interface ServeOptions {
    hostname?: string;
    port?: number;
    onListen?: (address: { hostname: string; port: number }) => void;
  }
  interface ServeHandlerInfo {
    remoteAddr: { hostname: string; port: number };
  }
  const env: { get(name: string): string | undefined };
  function readFile(path: string | URL): Promise<Uint8Array<ArrayBuffer>>;
  function serve(options: ServeOptions, handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>): unknown;
}
