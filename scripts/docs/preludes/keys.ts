/** `prelude=keys`: the reader's cookie keys, imported as the package README's first example does. */
export declare const keys: [CryptoKey, ...CryptoKey[]];
