/**
 * The default change detection without writing the data's JSON: a
 * comparison with a copy of the loaded data that answers as comparing the
 * two JSON texts would, or says it cannot tell.
 */
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
