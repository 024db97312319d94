/** Times and durations as pages show them. */
const FORMAT = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** In UTC, with a machine-readable `datetime`. */
export function timeHtml(ms: number): string {
  const date = new Date(ms);
  return `<time datetime="${date.toISOString()}">${FORMAT.format(date)} UTC</time>`;
}

/** A duration in words: "30 seconds", "10 minutes". */
export function windowText(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
