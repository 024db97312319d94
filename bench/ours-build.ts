/**
 * Which hattip-session a benchmark measures: the workspace build, another
 * build by path (a before run), or either with the cookie stores built as
 * on a runtime without node:crypto. Shared by bench/run.ts and the
 * processes it starts for each store's apps (bench/many-users.ts).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as OursModule from "hattip-session";

/**
 * The hattip-session module to bench: the workspace build, another build
 * (a before run), or the workspace build with our cookie stores made as
 * on a runtime without node:crypto (process.getBuiltinModule hidden while
 * each is built: a store picks its crypto path then).
 */
export async function loadOurs(path: string | undefined, webCrypto: boolean): Promise<typeof OursModule | undefined> {
  if (!path && !webCrypto) return undefined;
  const module = (await import(path ? pathToFileURL(resolve(path)).href : "hattip-session")) as typeof OursModule;
  if (!webCrypto) return module;
  const processLike = process as { getBuiltinModule?: unknown };
  const hidden = processLike.getBuiltinModule;
  const withoutNative = <T>(build: () => T): T => {
    processLike.getBuiltinModule = undefined;
    try {
      return build();
    } finally {
      processLike.getBuiltinModule = hidden;
    }
  };
  // The stores decide their path when built; wrap each constructor the apps call.
  const wrap = <C extends new (...args: never[]) => object>(Store: C): C =>
    new Proxy(Store, { construct: (target, args) => withoutNative(() => Reflect.construct(target, args)) });
  return {
    ...module,
    SignedCookieStore: wrap(module.SignedCookieStore),
    EncryptedCookieStore: wrap(module.EncryptedCookieStore),
  };
}
