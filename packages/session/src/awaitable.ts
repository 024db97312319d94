/**
 * Values that may or may not be promises. On the per-request path an
 * `await` of a value that is already there still costs a promise and a
 * tick; code that can answer at once checks first and awaits only a
 * promise.
 */
import type { Awaitable } from "./types.js";

/** `true` for a promise (or any thenable), which `await` would wait for. */
export function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  // A promise is the common case and the cheapest check; strings, numbers and null are never thenables.
  if (value instanceof Promise) return true;
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** `next` of `value`, at once when `value` is already there, after it settles when it is a promise. */
export function settle<T, R>(value: Awaitable<T>, next: (settled: T) => Awaitable<R>): Awaitable<R> {
  return isThenable(value) ? value.then(next) : next(value);
}
