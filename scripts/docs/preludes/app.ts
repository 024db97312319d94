/**
 * `prelude=app`: the reader's app, a @hattip/router router with `cookie()` and `session()` in place,
 * as the package README's first example sets them up.
 */
import { createRouter } from "@hattip/router";

export const app = createRouter();
