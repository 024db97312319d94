/**
 * SESSION_TAG_SECRET: the key of the HMAC that names each user in the
 * session store (its index of a user's devices), so that the store holds no
 * user name and a dump of it cannot be matched against a list of names.
 * Every instance of the app must share it; changing it signs everyone out.
 */

/** The store refuses shorter secrets; this says so before the first sign-in does. */
const MIN_LENGTH = 32;

/** How every setting holding a 32-byte secret says to make one. */
export const MAKE_ONE = `node -p "crypto.randomBytes(32).toString('base64url')"`;

export function userTagSecretFromSetting(value: string | undefined): string {
  const secret = value?.trim();
  if (!secret) {
    throw new Error(
      `SESSION_TAG_SECRET is not set. The session store needs it to list and sign out a user's devices without storing user names. Make one with ${MAKE_ONE} and keep it secret.`,
    );
  }
  if (secret.length < MIN_LENGTH) {
    throw new Error(`SESSION_TAG_SECRET is ${secret.length} characters long; it needs at least ${MIN_LENGTH}. Make one with ${MAKE_ONE}.`);
  }
  return secret;
}
