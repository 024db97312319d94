/**
 * Counts calls to crypto.subtle.importKey from now on. Installed before any
 * store is built, so that a store importing keys per request shows up as a
 * count that grows with the number of requests.
 */
export function countKeyImports(): { readonly count: number } {
  const subtle = crypto.subtle;
  const importKey = subtle.importKey.bind(subtle);
  const counter = { count: 0 };
  subtle.importKey = ((...args: Parameters<SubtleCrypto["importKey"]>) => {
    counter.count++;
    return importKey(...args);
  }) as SubtleCrypto["importKey"];
  return counter;
}
