/** The apps the HTTP benchmark runs, one after another: `<library>:<store>`, or no session at all. */
export const STORES = ["signed", "encrypted", "unsigned", "memory", "redis"] as const;
export type StoreName = (typeof STORES)[number];
export type Scenario = "baseline" | `ours:${StoreName}` | `theirs:${StoreName}`;

export const SCENARIOS: readonly Scenario[] = [
  "baseline",
  ...STORES.flatMap((store) => [`ours:${store}`, `theirs:${store}`] as const),
];
