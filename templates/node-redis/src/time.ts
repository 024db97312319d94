/**
 * Times and durations as pages show them. The server does not know the
 * reader's time zone, so a page says how long ago something was ("2
 * minutes ago", "yesterday"), which is true everywhere, and keeps the
 * exact instant in the `<time datetime>` beside it, in the title a browser
 * shows on hover or long press. No script is needed for either.
 */
const FORMAT = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const DATE = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
/** "yesterday" rather than "1 day ago"... */
const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
/** ...but "1 week ago" rather than "last week", which reads as the calendar week before this one. */
const RELATIVE_NUMERIC = new Intl.RelativeTimeFormat("en", { numeric: "always" });

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** In UTC, as words: "24 Nov 2026, 09:15 UTC". */
export function timeText(ms: number): string {
  return `${FORMAT.format(new Date(ms))} UTC`;
}

/** In UTC, with a machine-readable `datetime`. */
export function timeHtml(ms: number): string {
  return `<time datetime="${new Date(ms).toISOString()}">${timeText(ms)}</time>`;
}

/**
 * How long before `now` it was: "just now", "5 minutes ago", "3 hours
 * ago", "yesterday", "4 days ago", "2 weeks ago", then the date ("24 Nov 2026"). Whole
 * units, rounded down, as GitHub and Google list sessions. A moment a
 * little ahead of `now` (another server's clock) is "just now" too.
 */
export function relativeTimeText(ms: number, now: number): string {
  const elapsed = now - ms;
  if (elapsed < MINUTE_MS) return "just now";
  if (elapsed < HOUR_MS) return RELATIVE.format(-Math.floor(elapsed / MINUTE_MS), "minute");
  if (elapsed < DAY_MS) return RELATIVE.format(-Math.floor(elapsed / HOUR_MS), "hour");
  const days = Math.floor(elapsed / DAY_MS);
  if (days < 7) return RELATIVE.format(-days, "day");
  if (days < 35) return RELATIVE_NUMERIC.format(-Math.floor(days / 7), "week");
  return DATE.format(new Date(ms));
}

/** `relativeTimeText` in a `<time>` whose `datetime` is the instant and whose title the exact time. */
export function relativeTimeHtml(ms: number, now: number): string {
  return `<time datetime="${new Date(ms).toISOString()}" title="${timeText(ms)}">${relativeTimeText(ms, now)}</time>`;
}

/** A duration in words: "30 seconds", "10 minutes". */
export function windowText(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
