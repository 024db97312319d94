/** `from "./x.js"` -> `from "./x.ts"`, for relative imports only: Deno (netlify-edge) loads them as written. */
export function withTsImports(source: string): string {
  return source.replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*?)\.js(["'])/g, "$1.ts$2");
}
