/**
 * The words pages use for times: how long ago, in whole units, with the
 * exact instant kept beside them. (Shared by the four templates.)
 */
import { describe, expect, it } from "vitest";
import { relativeTimeHtml, relativeTimeText } from "../../src/time.js";

const NOW = Date.UTC(2026, 10, 24, 9, 15);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("relative times", () => {
  it.each([
    [0, "just now"],
    [-5 * SECOND, "just now"],
    [59 * SECOND, "just now"],
    [MINUTE, "1 minute ago"],
    [2 * MINUTE + 30 * SECOND, "2 minutes ago"],
    [59 * MINUTE, "59 minutes ago"],
    [HOUR, "1 hour ago"],
    [23 * HOUR + 59 * MINUTE, "23 hours ago"],
    [DAY, "yesterday"],
    [2 * DAY - SECOND, "yesterday"],
    [2 * DAY, "2 days ago"],
    [7 * DAY, "1 week ago"],
    [34 * DAY, "4 weeks ago"],
    [35 * DAY, "20 Oct 2026"],
  ])("%i ms before now reads %s", (elapsed, words) => {
    expect(relativeTimeText(NOW - elapsed, NOW)).toBe(words);
  });

  it("keeps the instant in datetime and the exact time, in UTC, in the title", () => {
    expect(relativeTimeHtml(NOW - 2 * MINUTE, NOW)).toBe(
      '<time datetime="2026-11-24T09:13:00.000Z" title="24 Nov 2026, 09:13 UTC">2 minutes ago</time>',
    );
  });
});
