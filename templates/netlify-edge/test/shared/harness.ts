/**
 * What each template's `test/support/harness.ts` provides, so that the
 * shared tests (this folder, copied into every template) run the same
 * checks against each platform in its real runtime: Node with Redis,
 * workerd with KV and a Durable Object, Vercel's edge-runtime, Deno.
 */
export interface StartOptions {
  /**
   * `development` is `npm run dev`: the demo user signs in. `production` is
   * the deployed app: only USERS sign in, unless ALLOW_DEMO_USER=1.
   */
  mode?: "development" | "production";
  /** More environment for the app: USERS, ALLOW_DEMO_USER, SUDO_WINDOW_SECONDS, ... */
  env?: Record<string, string>;
}

export interface HarnessApp {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  /** Login sessions the server-side store holds now; `null` for a cookie store, which holds none. */
  storedSessions(): Promise<number | null>;
  stop(): Promise<void>;
}

export interface StarterHarness {
  name: string;
  start(options?: StartOptions): Promise<HarnessApp>;
  /**
   * How the app learns a client's address: from the connection (`socket`:
   * tests send from 127.0.0.x), or from the header the platform's proxy
   * sets (`x-forwarded-for`, as Vercel does).
   */
  addressing: "socket" | "x-forwarded-for";
  /**
   * Whether the login store lists a user's sessions (a server-side store:
   * Redis, KV), so that the profile offers "Your sessions". A cookie store
   * cannot: its sessions live only in browsers.
   */
  listsSessions: boolean;
}
