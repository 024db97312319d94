/**
 * Prints the PBKDF2 hash of a password, for the user list in src/users.ts.
 * Usage: npm run hash-password -- 'the new password'
 */
import { hashPassword } from "../src/password.ts";

const password = process.argv[2];
if (!password) {
  console.error("Usage: npm run hash-password -- '<password>'");
  process.exit(1);
}
console.log(await hashPassword(password));
