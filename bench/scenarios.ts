/**
 * The apps the benchmarks run: `<library>:<store>`, the no-session app
 * (`baseline`), and the app with only the cookie middleware every session
 * library needs (`cookie-only`), so that its share shows apart.
 */
export const STORES = ["signed", "encrypted", "unsigned", "memory", "redis"] as const;
export type StoreName = (typeof STORES)[number];
export type Library = "ours" | "theirs" | "iron";
/** The unavoidable parts of a cookie read alone (bench/floor.ts): in-process only, read route only. */
export type FloorScenario = "floor:signed" | "floor:encrypted";
export type Scenario = "baseline" | "cookie-only" | `ours:${StoreName}` | `theirs:${StoreName}` | "iron:encrypted" | FloorScenario;

export const SCENARIOS: readonly Scenario[] = [
  "baseline",
  "cookie-only",
  ...STORES.flatMap((store) => [`ours:${store}`, `theirs:${store}`] as const),
  "iron:encrypted",
];

export const FLOOR_SCENARIOS: readonly FloorScenario[] = ["floor:signed", "floor:encrypted"];

export function isFloor(scenario: Scenario): scenario is FloorScenario {
  return scenario.startsWith("floor:");
}

export const LIBRARY_NAMES: Record<Library, string> = {
  ours: "hattip-session",
  theirs: "@hattip/session 0.0.49",
  iron: "iron-session 8 (sealData/unsealData)",
};

export function libraryOf(scenario: Scenario): Library | null {
  const library = scenario.split(":")[0];
  return library === "ours" || library === "theirs" || library === "iron" ? library : null;
}

export function storeOf(scenario: Scenario): StoreName | null {
  const store = scenario.split(":")[1];
  return (STORES as readonly string[]).includes(store ?? "") ? (store as StoreName) : null;
}
