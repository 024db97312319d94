/**
 * The context a Hattip platform adapter hands to the app, for in-process
 * requests: what @hattip/adapter-node would build, minus the socket.
 */
import type { AdapterRequestContext } from "@hattip/core";

export function adapterContextFor(request: Request): AdapterRequestContext {
  return {
    request,
    ip: "127.0.0.1",
    platform: {},
    env: () => undefined,
    passThrough() {},
    waitUntil() {},
  };
}
