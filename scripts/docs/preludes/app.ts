/**
 * `prelude=app`: the reader's app, a @hattip/router router with `cookie()` and `session()` in place,
 * as the package README sets it up before its snippets. Importing hattip-session here is also what
 * types `ctx.session` (the package augments @hattip/compose's context), as it is in a reader's app.
 */
import { cookie } from "@hattip/cookie";
import { createRouter } from "@hattip/router";
import { session, UnsafeMemoryStore } from "hattip-session";

export const app = createRouter();
app.use(cookie());
app.use(session({ store: new UnsafeMemoryStore() }));
