/**
 * A short label for a user agent ("Firefox on Linux"), shown in a user's
 * list of sessions so they can tell their devices apart. Deliberately
 * coarse: the browser family and the operating system, nothing that
 * fingerprints, and "Unknown device" rather than a guess.
 */

const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bOPR\/|\bOpera\b/, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\bFirefox\/|\bFxiOS\//, "Firefox"],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/\bcurl\//, "curl"],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

/** The longest user agent looked at: anything beyond is not needed for the label. */
const MAX_INSPECTED_LENGTH = 512;

export function deviceLabel(userAgent: string | null | undefined): string {
  if (!userAgent) return "Unknown device";
  const inspected = userAgent.slice(0, MAX_INSPECTED_LENGTH);
  const browser = BROWSERS.find(([pattern]) => pattern.test(inspected))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(inspected))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? "Unknown device";
}
