/**
 * The session data's JSON, made as rarely as the default change detection
 * allows: compared with a copy of the loaded data without writing either
 * (`sameJson`), and, where it was written to tell a change, handed on to
 * the store's write instead of written again.
 */
import type { SessionRecord } from "./types.js";

/**
 * The JSON of records' data that the middleware made already, to tell
 * whether the handler changed it, by record: the write that follows keeps
 * that text instead of stringifying the data a second time. Keyed by the
 * record object the end of the request made, which nothing changes before
 * the store writes it.
 */
const dataJsonOf = new WeakMap<SessionRecord<unknown>, string>();

/** Tells the stores that `json` is `JSON.stringify(record.data)`. */
export function rememberDataJson<Data>(record: SessionRecord<Data>, json: string): void {
  dataJsonOf.set(record, json);
}

/** `JSON.stringify(record.data)`, if the middleware made it already. */
export function knownDataJson<Data>(record: SessionRecord<Data>): string | undefined {
  return dataJsonOf.get(record);
}

/**
 * Whether `JSON.stringify(value)` equals `JSON.stringify(original)`, told
 * without writing either, for `original` made by `JSON.parse`: `true` or
 * `false` when `value` holds only what JSON writes as it is (plain objects
 * and arrays, strings, finite numbers, booleans, null), `undefined` when
 * it holds anything JSON would convert or drop (undefined, a Date, NaN, a
 * class instance, a function...), or is nested too deep to walk: the
 * caller then compares the JSON itself. Keys are compared in order, as the
 * JSON would be.
 */
export function sameJson(value: unknown, original: unknown): boolean | undefined {
  try {
    return sameJsonValue(value, original);
  } catch {
    return undefined;
  }
}

function sameJsonValue(value: unknown, original: unknown): boolean | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value === original;
    case "number":
      return Number.isFinite(value) ? value === original : undefined;
    case "object": {
      if (value === null) return original === null;
      // JSON writes what toJSON returns instead (a Date's, or one of the app's own).
      if ("toJSON" in value) return undefined;
      if (Array.isArray(value)) {
        if (!Array.isArray(original)) return false;
        if (value.length !== original.length) return false;
        for (let index = 0; index < value.length; index++) {
          const same = sameJsonValue(value[index], original[index]);
          if (same !== true) return same;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      if (typeof original !== "object" || original === null || Array.isArray(original)) return false;
      const keys = Object.keys(value);
      const originalKeys = Object.keys(original);
      // Keys other than the original's, or in another order, make another text, unless JSON drops a key's
      // value (undefined, a function, a symbol): what is left may then be the original's keys.
      const otherKeys = () => (keys.some((key) => isDroppedByJson((value as Record<string, unknown>)[key])) ? undefined : false);
      if (keys.length !== originalKeys.length) return otherKeys();
      for (let index = 0; index < keys.length; index++) {
        const key = keys[index]!;
        if (key !== originalKeys[index]) return otherKeys();
        const same = sameJsonValue((value as Record<string, unknown>)[key], (original as Record<string, unknown>)[key]);
        if (same !== true) return same;
      }
      return true;
    }
    default:
      return undefined;
  }
}

function isDroppedByJson(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}
