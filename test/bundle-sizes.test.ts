/**
 * The bundle sizes the edge apps' READMEs quote (starter/generate/bundle-sizes.json,
 * written by `npx tsx starter/bundle-sizes.ts --write`) are what the bundles weigh now:
 * a change to the shared app or the package that moves a deployed bundle by more than
 * 1 KiB gzipped fails here until the figures are measured again.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bundleSizes, RECORDED_SIZES, type RecordedSize, recordedSizes } from "../starter/bundle-sizes.js";

const TOLERANCE_BYTES = 1024;

describe("the bundle sizes in the edge apps' READMEs", () => {
  it("match what the deployable bundles weigh today, within 1 KiB gzipped", async () => {
    const recorded = JSON.parse(readFileSync(RECORDED_SIZES, "utf8")) as Record<string, RecordedSize>;
    const measured = recordedSizes(await bundleSizes());
    expect(Object.keys(recorded).sort()).toEqual(Object.keys(measured).sort());
    for (const [template, now] of Object.entries(measured)) {
      const then = recorded[template]!;
      expect(
        Math.abs(now.gzippedBytes - then.gzippedBytes),
        `${template}: ${now.gzippedBytes} B gzipped now, ${then.gzippedBytes} B recorded`,
      ).toBeLessThanOrEqual(TOLERANCE_BYTES);
      expect(Math.abs(now.bytes - then.bytes), `${template}: ${now.bytes} B now, ${then.bytes} B recorded`).toBeLessThanOrEqual(4 * TOLERANCE_BYTES);
    }
  });
});
