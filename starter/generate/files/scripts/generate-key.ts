/** Prints a new AES-256-GCM key for SESSION_KEYS. Usage: npm run --silent generate-key */
import { EncryptedCookieStore } from "hattip-session";

console.log(await EncryptedCookieStore.exportKey(await EncryptedCookieStore.generateKey()));
