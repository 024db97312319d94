/** `prelude=login`: the reader's own password check, which the login examples call. */
import type { RequestContext } from "@hattip/compose";

export declare function checkPassword(ctx: RequestContext): Promise<{ id: string }>;
