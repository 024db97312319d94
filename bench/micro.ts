/**
 * The single operations PROFILE.md quotes, each timed alone in a loop
 * (median of 9 runs), on the typical session of the benchmarks:
 *
 *   npx tsx bench/micro.ts
 *
 * - the `cookie` package's serializer (as @hattip/cookie calls it) with
 *   options that lack its `name` and `value` keys, and with options that
 *   have them, as hattip-session's transport now hands them;
 * - the default change detection: stringify the data and compare the text,
 *   against `sameJson` on a copy of the loaded data;
 * - the memory store's copy of a kept parse against parsing the text again.
 */
import { serialize } from "cookie";
import { sameJson } from "../packages/session/src/data-json.js";
import { copyJsonValue, plainJsonCopy } from "../packages/session/src/stores/serialization.js";
import { SESSION_MAX_AGE_SECONDS, typicalSession } from "./fixtures.js";

const json = JSON.stringify(typicalSession());
const loaded = JSON.parse(json) as Record<string, unknown>;
const handlers = JSON.parse(json) as Record<string, unknown>;
const cookieValue = encodeURIComponent(`3.${(1796625843007).toString(36)}.${(1796626843007).toString(36)}.0.${json}`);
const attributes = { httpOnly: true, sameSite: "lax", path: "/", secure: true, encode: (value: string) => value } as const;
const withSlots = { ...attributes, name: "", value: "" };
// As @hattip/cookie hands them to the serializer: a copy of the options the session middleware passed.
const serializeAs = (options: object) => serialize("session", cookieValue, { ...options });

const rows: [string, () => unknown][] = [
  ["cookie serialize, options without name/value", () => serializeAs(Object.assign({ maxAge: SESSION_MAX_AGE_SECONDS }, attributes))],
  ["cookie serialize, options with name/value keys", () => serializeAs(Object.assign({ maxAge: SESSION_MAX_AGE_SECONDS }, withSlots))],
  ["change detection: JSON.stringify + compare", () => JSON.stringify(handlers) === json],
  ["change detection: sameJson(data, kept copy)", () => sameJson(handlers, loaded)],
  ["memory store load: JSON.parse of the text", () => JSON.parse(json)],
  ["memory store load: copyJsonValue of the kept parse", () => copyJsonValue(loaded)],
  ["memory store write: plainJsonCopy of the handler's data", () => plainJsonCopy(handlers)],
];

const ITERATIONS = 200_000;
for (const [name, run] of rows) {
  const runs: number[] = [];
  for (let round = 0; round < 9; round++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < ITERATIONS; index++) run();
    runs.push(Number(process.hrtime.bigint() - started) / ITERATIONS / 1000);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name.padEnd(52)} ${runs[4]!.toFixed(3)} µs`);
}
