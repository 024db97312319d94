/**
 * The user list. This demo user exists so the starter works out of the
 * box: replace it with your own user store before you deploy. Make a hash
 * with `npm run hash-password -- '<password>'`.
 */
import { verifyPassword } from "./password.ts";

export interface User {
  username: string;
  passwordHash: string;
}

const USERS: readonly User[] = [
  // demo / demo-password
  { username: "demo", passwordHash: "pbkdf2-sha256$100000$QzJ/Ejki5Kjo38wTDJZbXA==$qRVYy3zYwNgZqSfCe9cT/gMHNmyXyQzhDDQF1uujGec=" },
];

/**
 * An unknown name still costs one hash, so response times do not reveal
 * which names exist. A constant, because Workers forbid generating random
 * values at global scope.
 */
const DECOY_HASH = "pbkdf2-sha256$100000$dyeLknU9xRbFWZqqt/mSNQ==$p2p65KvMNyUA5t9f5sKwa6gXvuUqVlLAaWcbjUhG2jE=";

/** The user whose name and password match, or `null`. */
export async function authenticate(username: string, password: string): Promise<User | null> {
  const user = USERS.find((candidate) => candidate.username === username);
  const matches = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
  return user && matches ? user : null;
}
