/**
 * The `userTagSecret` the tests give every server-side store that binds
 * sessions to users, as an app passes its `SESSION_TAG_SECRET`. A test
 * that is about the secret itself makes its own.
 */
export const userTagSecret = "test-only user tag secret: not for any deployment";
