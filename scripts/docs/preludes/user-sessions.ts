/** `prelude=user-sessions`: a server-side store and a user ID, for code that runs outside a request. */
import type { UserSessionIndex } from "hattip-session";

export declare const store: UserSessionIndex;
export declare const userId: string;
