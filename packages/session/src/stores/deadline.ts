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
