/**
 * bench/durability.ts in its shortest form, so it cannot rot, and the one
 * property of `durability` that does not depend on timing: WAIT travels in
 * the same round trip as the write, so no store call takes more round trips
 * with durability on than off. No assertion here is about speed.
 */
import { expect, it } from "vitest";
import { measureDurability } from "../bench/durability.js";

it("measures every store call with durability off and on, each in one round trip", { timeout: 120_000 }, async () => {
  const rows = await measureDurability({ rounds: 1, perRound: 10 });
  expect(rows.map(({ operation }) => operation)).toEqual([
    "new session (SET NX)",
    "login: regenerate (DEL + SET NX)",
    "logout (DEL)",
    "update (SET XX), control",
    "read (GET), control",
  ]);
  for (const row of rows) {
    expect(row.roundTrips.on, row.operation).toBe(1);
    expect(row.roundTrips.off, row.operation).toBeLessThanOrEqual(1);
    expect(row.medianMicroseconds.on).toBeGreaterThan(0);
    expect(Number.isFinite(row.medianRatio)).toBe(true);
  }
});
