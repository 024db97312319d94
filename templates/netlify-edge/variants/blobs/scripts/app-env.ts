/** The settings the function reads (README.md, "Settings"): `npm run dev` passes these on to it, and no others. */
export const APP_SETTINGS = ["SESSION_TAG_SECRET", "USERS", "ALLOW_DEMO_USER", "SUDO_WINDOW_SECONDS"] as const;

/** What the session store's own client reads from the environment, besides. */
export const STORE_ENV: readonly string[] = ["NETLIFY_BLOBS_CONTEXT", "NODE_ENV"];
