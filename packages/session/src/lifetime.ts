/**
 * When a session expires, and when an unchanged one deserves a refresh.
 * Pure functions of the options and the clock, so the middleware stays a
 * list of decisions.
 */
import type { CookieSerializeOptions } from "@hattip/cookie";
import { SessionSetupError } from "./errors.js";
import type { RollingOptions, SessionRecord } from "./types.js";

/** Idle lifetime when neither `cookieOptions.maxAge` nor `expires` is given: 7 days. */
export const DEFAULT_LIFETIME_SECONDS = 7 * 24 * 60 * 60;
/** Default cap on a session's total life, however active: 30 days. */
export const DEFAULT_ABSOLUTE_LIFETIME_SECONDS = 30 * 24 * 60 * 60;
/** A rolling session is refreshed at most this often by default (or a tenth of its lifetime, if shorter): 1 hour. */
export const MAX_DEFAULT_REFRESH_INTERVAL_SECONDS = 60 * 60;

export interface LifetimePolicy {
  /** The deadline of a session created at `createdAt` and written at `now`. */
  expiresAt(createdAt: number, now: number): number;
  /** `true` when a loaded session may not be used any more, whatever its store says. */
  isPastAbsolute(record: SessionRecord<unknown>, now: number): boolean;
  /** `true` when an unchanged session should be written again to slide its expiry. */
  isRefreshDue(record: SessionRecord<unknown>, now: number): boolean;
}

export function lifetimePolicy(
  cookieOptions: CookieSerializeOptions | undefined,
  rolling: boolean | RollingOptions | undefined,
  absoluteLifetimeSeconds: number | undefined,
): LifetimePolicy {
  const fixedDeadline = cookieOptions?.expires?.getTime();
  const idleMs = seconds("cookieOptions.maxAge", cookieOptions?.maxAge ?? DEFAULT_LIFETIME_SECONDS) * 1000;
  const absoluteMs = seconds("absoluteLifetime", absoluteLifetimeSeconds ?? Math.max(DEFAULT_ABSOLUTE_LIFETIME_SECONDS, idleMs / 1000)) * 1000;
  if (fixedDeadline !== undefined && Number.isNaN(fixedDeadline)) {
    throw new SessionSetupError("cookieOptions.expires is an invalid Date.");
  }
  // A fixed `expires` date is a deadline: activity cannot move it.
  const slides = rolling !== false && fixedDeadline === undefined;
  const refreshIntervalMs =
    seconds(
      "rolling.refreshInterval",
      (typeof rolling === "object" ? rolling.refreshInterval : undefined) ?? Math.min(MAX_DEFAULT_REFRESH_INTERVAL_SECONDS, idleMs / 10_000),
    ) * 1000;

  const expiresAt = (createdAt: number, now: number) => Math.min(fixedDeadline ?? now + idleMs, createdAt + absoluteMs);

  return {
    expiresAt,
    isPastAbsolute: (record, now) => record.createdAt + absoluteMs <= now,
    isRefreshDue(record, now) {
      if (!slides) return false;
      const lastWrite = record.expiresAt - idleMs;
      return now - lastWrite >= refreshIntervalMs && expiresAt(record.createdAt, now) > record.expiresAt;
    },
  };
}

function seconds(name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new SessionSetupError(`${name} must be a positive number of seconds; got ${String(value)}.`);
  }
  return value;
}
