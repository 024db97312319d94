/**
 * Who may sign in. Users come from the USERS environment variable, one
 * `name:hash` entry each (make one with `npm run hash-password -- <name>`),
 * so a deploy needs no code change. The demo user `demo` / `demo-password`
 * exists in development only, unless the deployer opts in with
 * ALLOW_DEMO_USER=1: a starter copied to production must not let a
 * published password in.
 */
import { isPasswordHash, verifyPassword } from "./password.js";

export interface User {
  username: string;
  passwordHash: string;
}

export const DEMO_USER: User = {
  username: "demo",
  // demo-password
  passwordHash: "pbkdf2-sha256$100000$QzJ/Ejki5Kjo38wTDJZbXA==$qRVYy3zYwNgZqSfCe9cT/gMHNmyXyQzhDDQF1uujGec=",
};

/**
 * An unknown name still costs one hash, so response times do not reveal
 * which names exist. A constant, because Workers forbid generating random
 * values at global scope.
 */
const DECOY_HASH = "pbkdf2-sha256$100000$dyeLknU9xRbFWZqqt/mSNQ==$p2p65KvMNyUA5t9f5sKwa6gXvuUqVlLAaWcbjUhG2jE=";

const USERNAME = /^[A-Za-z0-9._@+-]{1,100}$/;

/** The configuration names no usable user, or names one badly. The message says which variable and how to fix it. */
export class UserConfigError extends Error {
  override name = "UserConfigError";
}

/** What the environment says about users. */
export interface UserSettings {
  /** The USERS variable: `name:hash` entries separated by commas, spaces or new lines. */
  users: string | undefined;
  /** The ALLOW_DEMO_USER variable: `1` lets `demo` / `demo-password` in. */
  allowDemoUser: string | undefined;
  /** `npm run dev` and the other local dev servers: the demo user is on unless ALLOW_DEMO_USER=0. */
  development: boolean;
}

/** The users to accept. Throws `UserConfigError` when there are none, or USERS is malformed. */
export function usersFromSettings({ users, allowDemoUser, development }: UserSettings): User[] {
  const listed = parseUsers(users ?? "");
  const demoSwitch = parseSwitch(allowDemoUser);
  const withDemo = demoSwitch ?? development;
  const all = withDemo && !listed.some((user) => user.username === DEMO_USER.username) ? [...listed, DEMO_USER] : listed;
  if (all.length === 0) {
    throw new UserConfigError(
      "No users are configured, so nobody could sign in. Set USERS to one or more `name:hash` entries " +
        "(make one with `npm run hash-password -- <name>`), or set ALLOW_DEMO_USER=1 to let demo / demo-password in " +
        "(for a private test deploy only: that password is published).",
    );
  }
  return all;
}

export function parseUsers(text: string): User[] {
  const users: User[] = [];
  for (const [index, entry] of text
    .split(/[\s,]+/)
    .filter(Boolean)
    .entries()) {
    const separator = entry.indexOf(":");
    const username = entry.slice(0, separator);
    const passwordHash = entry.slice(separator + 1);
    const where = `USERS entry ${index + 1} ("${entry.slice(0, 24)}${entry.length > 24 ? "…" : ""}")`;
    if (separator < 0 || !USERNAME.test(username)) {
      throw new UserConfigError(
        `${where} must be \`name:hash\`, the name made of letters, digits and . _ @ + - (at most 100). Make one with \`npm run hash-password -- <name>\`.`,
      );
    }
    if (!isPasswordHash(passwordHash)) {
      throw new UserConfigError(`${where} has no valid password hash. Make one with \`npm run hash-password -- ${username}\`.`);
    }
    if (users.some((user) => user.username === username)) throw new UserConfigError(`${where} names ${username} a second time.`);
    users.push({ username, passwordHash });
  }
  return users;
}

function parseSwitch(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new UserConfigError(`ALLOW_DEMO_USER must be 1 or 0 (got "${value.slice(0, 20)}").`);
}

/** The user whose name and password match, or `null`. */
export async function authenticate(users: readonly User[], username: string, password: string): Promise<User | null> {
  const user = users.find((candidate) => candidate.username === username);
  const matches = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
  return user && matches ? user : null;
}
