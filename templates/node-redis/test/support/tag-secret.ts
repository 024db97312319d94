/** The store's user tag key in every test run: what a deploy sets as SESSION_TAG_SECRET (32 characters or more). */
export const TEST_TAG_SECRET = "test-only-session-tag-secret-0123456789";
