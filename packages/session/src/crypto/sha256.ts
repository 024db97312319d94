import { encodeBase64Url } from "./base64url.js";
import { utf8Encode } from "./utf8.js";

/** SHA-256 of `text`'s UTF-8 bytes, as base64url. */
export async function sha256Base64Url(text: string): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(text))));
}
