/**
 * The keyed forms of a user ID under the tests' `userTagSecret`, as the
 * stores built with it make them: what a test expects to find in a bound
 * session's ID, a Redis key, a KV entry, a Blobs key or the PostgreSQL
 * `user_hash` column.
 */
import { userTagger } from "../../src/stores/session-id.js";
import { userTagSecret } from "../../test-runtimes/suite/user-tag-secret.js";

const tagger = userTagger(userTagSecret);

/** The routing tag of every session of `userId`. */
export const userTag = (userId: string): Promise<string> => tagger.tag(userId);

/** What a store's per-user index is keyed by, for `userId`. */
export const userHash = (userId: string): Promise<string> => tagger.hash(userId);
