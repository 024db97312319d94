/** Times and durations as pages show them. */
const FORMAT = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** In UTC, as words: "24 Nov 2026, 09:15 UTC". */
export function timeText(ms: number): string {
  return `${FORMAT.format(new Date(ms))} UTC`;
}

/** In UTC, with a machine-readable `datetime`. */
export function timeHtml(ms: number): string {
  return `<time datetime="${new Date(ms).toISOString()}">${timeText(ms)}</time>`;
}

/** A duration in words: "30 seconds", "10 minutes". */
export function windowText(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
