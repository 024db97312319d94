/**
 * A bound on how long a store waits for its backend. A backend that hangs
 * (a stopped database, a blackholed network) would otherwise hold the
 * request, and everything queued behind it, for as long as the client
 * library's own retries last; the stores turn the wait into a
 * `SessionStoreUnavailableError` instead.
 */

/** What `withDeadline` rejects with when time runs out; stores turn it into their own error. */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * `work`, or a `DeadlineExceeded` after `ms`. The work itself goes on (no
 * client here can be cancelled); its late failure cannot surface as an
 * unhandled rejection, since the race has already subscribed to it. This
 * runs around every command of a store: it adds one timer and no await.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** A short description of what a backend threw, for an error message. */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeFailure(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}

/**
 * What a store call does, for what its failure means: a read changes
 * nothing; a write (create, update, rotate) carries its deadline, and the
 * backend refuses to begin it after that; an end (destroy, revoke) carries
 * none, since ending a session late is still what was asked; `other` is
 * housekeeping (creating a table, deleting expired sessions).
 */
export type CallKind = "read" | "write" | "end" | "other";

/** What a call of `kind` left behind when `backend` did not answer in time, for an error message. */
export function leftUnanswered(kind: CallKind, backend: string): string {
  switch (kind) {
    case "read":
      return "nothing was changed";
    case "write":
      return `this session write was not saved, unless ${backend} began it before that deadline (it refuses to begin it later)`;
    case "end":
      return "the session may still be ended when it does";
    case "other":
      return "the statement may still run when it does";
  }
}

/** What a call of `kind` left behind when the connection to `backend` failed under it, for an error message. */
export function leftCutOff(kind: CallKind, backend: string): string {
  switch (kind) {
    case "read":
      return "nothing was changed";
    case "write":
      return `this session write was not saved, unless ${backend} began it before the failure; it refuses to begin it after the store's timeout`;
    case "end":
      return "the session may or may not have been ended";
    case "other":
      return "the statement may or may not have run";
  }
}
