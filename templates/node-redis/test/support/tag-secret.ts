/** The store's user tag key in every test run: what a deploy sets as SESSION_TAG_SECRET (32 characters or more). */
export const TEST_TAG_SECRET = "test-only-session-tag-secret-0123456789";
/** The session cache's key where the app turns it on (the PostgreSQL app): 32 bytes, base64url. */
export const TEST_CACHE_KEYS = "dGVzdC1vbmx5LXNlc3Npb24tY2FjaGUta2V5LTAxMjM";
