/**
 * Makes a USERS entry: `npm run hash-password -- alice` asks for the
 * password (not echoed, not kept in the shell's history) and prints
 * `alice:<PBKDF2 hash>`. Piped input works too:
 * `echo 'a long password' | npm run --silent hash-password -- alice`.
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { hashPassword } from "../src/password.js";
import { parseUsers } from "../src/users.js";

const username = process.argv[2];
if (!username || process.argv.length > 3) {
  console.error("Usage: npm run hash-password -- <username>\nThen type the password when asked. It prints a USERS entry.");
  process.exit(1);
}

const password = await readPassword(`Password for ${username}: `);
if (password.length < 8) {
  console.error("Choose a password of at least 8 characters.");
  process.exit(1);
}
const entry = `${username}:${await hashPassword(password)}`;
try {
  parseUsers(entry);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
console.log(entry);
if (process.stdout.isTTY) {
  console.error(
    "\nSet it as USERS (separate several entries with commas). In a shell, single-quote it: the hash contains $.\n" + `  USERS='${entry}'`,
  );
}

/** A line from the terminal without echoing it, or the first line of piped input. */
async function readPassword(prompt: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const terminal = Boolean(process.stdin.isTTY);
  if (terminal) process.stderr.write(prompt);
  const lines = createInterface({ input: process.stdin, output: terminal ? muted : undefined, terminal });
  try {
    for await (const line of lines) return line;
    return "";
  } finally {
    lines.close();
    if (terminal) process.stderr.write("\n");
  }
}
