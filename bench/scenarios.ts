/**
 * The apps the benchmarks run: `<library>:<store>`, the no-session app
 * (`baseline`), and the app with only the cookie middleware every session
 * library needs (`cookie-only`), so that its share shows apart.
 */
export const STORES = ["signed", "encrypted", "unsigned", "memory", "redis"] as const;
export type StoreName = (typeof STORES)[number];
export type Library = "ours" | "theirs" | "iron";
/**
 * The unavoidable parts of a session alone (bench/floor.ts): a cookie store's
 * read, and a Redis session's read and write on the benchmark's one client.
 */
export type FloorScenario = "floor:signed" | "floor:encrypted" | "floor:redis";
export type Scenario = "baseline" | "cookie-only" | `ours:${StoreName}` | `theirs:${StoreName}` | "iron:encrypted" | FloorScenario;

export const SCENARIOS: readonly Scenario[] = [
  "baseline",
  "cookie-only",
  ...STORES.flatMap((store) => [`ours:${store}`, `theirs:${store}`] as const),
  "iron:encrypted",
];

export const FLOOR_SCENARIOS: readonly FloorScenario[] = ["floor:signed", "floor:encrypted", "floor:redis"];

export function isFloor(scenario: Scenario): scenario is FloorScenario {
  return scenario.startsWith("floor:");
}

/** Whether a scenario answers /write: a cookie floor only reads (its write would be ours' own seal or sign). */
export function writes(scenario: Scenario): boolean {
  return !isFloor(scenario) || scenario === "floor:redis";
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
