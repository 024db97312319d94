/**
 * What DurableObjectSessionStore asks a SessionDurableObject, and what it
 * answers: JSON over the object's `fetch`, which every Durable Object
 * binding has (RPC would need the class to extend `DurableObject` from
 * `cloudflare:workers`, a module that exists only inside workerd). IDs
 * travel as their hashes; users as the keyed hash of their ID.
 */

/** The URL of every call; a Durable Object stub ignores the host. */
export const DURABLE_OBJECT_CALL_URL = "https://hattip-session.durable-object/";

/** The columns a session's row keeps beside its record text. */
export interface RowFields {
  /** The record text (record-text.ts). */
  record: string;
  expiresAt: number;
  /** The keyed hash of the bound user's ID (`IndexedUser.hash`), or `null`. */
  user: string | null;
  /** The session's public handle in its user's list, or `null` when unbound. */
  handle: string | null;
}

/**
 * A write's deadline, epoch milliseconds: the object refuses to begin the
 * call later, by its own clock (the store has given up and reported it
 * failed). Sent with every create, update and rotation, and with the
 * destroy of a login that moves a session between objects; absent from an
 * older store's calls.
 */
export interface CallDeadline {
  deadline?: number;
}

export type DurableObjectCall =
  | { op: "load"; id: string }
  | ({ op: "create"; id: string } & RowFields & CallDeadline)
  | ({ op: "update"; id: string } & RowFields & CallDeadline)
  | ({ op: "destroy"; id: string } & CallDeadline)
  | ({ op: "rotate"; old: string; id: string } & RowFields & CallDeadline)
  | { op: "list"; user: string; limit: number }
  | { op: "revoke"; user: string; handle: string }
  | { op: "revokeAll"; user: string; except: string | null };

export interface DurableObjectAnswers {
  load: { record: string | null };
  create: { created: boolean };
  update: { updated: boolean };
  destroy: { alive: boolean };
  /** `gone`: the old session had ended, nothing written; `taken`: the new ID's hash exists, nothing written. */
  rotate: { outcome: "rotated" | "gone" | "taken" };
  /** At most `limit` sessions, those with the latest deadlines. */
  list: { sessions: { handle: string; record: string }[] };
  revoke: { revoked: number };
  revokeAll: { revoked: number };
}

/**
 * The body of an answer that is not 200: `setup` errors are the
 * deployment's to fix, not transient; `late` is a call begun after its
 * deadline, refused with nothing changed.
 */
export interface DurableObjectFailure {
  error: string;
  kind: "setup" | "bad-call" | "late";
}
