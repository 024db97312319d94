/**
 * The one place that turns session data into text and back. Whatever the
 * user's `parse` does, a store only ever receives a plain object or `null`.
 */
import type { SessionData, SessionSerializationOptions } from "../types.js";

export interface Serializer<Data> {
  stringify(data: Data): string;
  /** The parsed data, or `null` when it is invalid for any reason. */
  parse(serialized: string): Data | null;
  /**
   * `true` for the default serializer, whose text is what `JSON.stringify`
   * writes: the middleware's default change detection can then compare the
   * stored text instead of stringifying the loaded data once more.
   */
  readonly isJson: boolean;
}

export function createSerializer<Data = SessionData>(options: SessionSerializationOptions<Data> = {}): Serializer<Data> {
  const isJson = options.stringify === undefined && options.parse === undefined;
  const stringify = options.stringify ?? (JSON.stringify as (data: Data) => string);
  const parse = options.parse ?? (parseJsonSafely as (text: string) => Data);
  return {
    stringify,
    isJson,
    parse(serialized) {
      try {
        const data = parse(serialized);
        return isPlainObject(data) ? data : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * A deep copy of `value`, a value `JSON.parse` made (plain objects, arrays,
 * strings, numbers, booleans, null): what a copy by `JSON.parse` of its
 * text would give, at a quarter of the cost. Own keys only, so nothing an
 * object inherits is copied. A document nested deeper than the call stack
 * allows throws a RangeError; the caller parses the text instead.
 */
export function copyJsonValue<Value>(value: Value): Value {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = copyJsonValue(value[index]);
    return copy as Value;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = copyJsonValue((value as Record<string, unknown>)[key]);
    // As JSON.parse keeps it: an own property, never the copy's prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: child, enumerable: true, writable: true, configurable: true });
    else copy[key] = child;
  }
  return copy as Value;
}

/**
 * A deep copy of `value` that equals what `parseJsonSafely(JSON.stringify(value))`
 * gives, or `undefined` when `value` holds anything JSON would write otherwise
 * than as it is (a Date or any `toJSON`, undefined, a function, NaN, a class
 * instance, an array hole), a key `parseJsonSafely` drops, or nesting deeper
 * than the call stack: the caller then parses the text. It lets a store that
 * keeps a session's JSON also keep a parse of it without parsing.
 */
export function plainJsonCopy<Value>(value: Value): Value | undefined {
  try {
    const copy = plainCopyOf(value);
    return copy === NOT_PLAIN ? undefined : (copy as Value);
  } catch {
    return undefined;
  }
}

const NOT_PLAIN: unique symbol = Symbol("not plain JSON");

function plainCopyOf(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // JSON writes -0 as 0.
      return Number.isFinite(value) ? value + 0 : NOT_PLAIN;
    case "object": {
      if (value === null) return null;
      if ("toJSON" in value) return NOT_PLAIN;
      if (Array.isArray(value)) {
        const copy: unknown[] = new Array(value.length);
        for (let index = 0; index < value.length; index++) {
          const child = plainCopyOf(value[index]);
          if (child === NOT_PLAIN) return NOT_PLAIN;
          copy[index] = child;
        }
        return copy;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if ((PROTOTYPE_KEYS as readonly string[]).includes(key)) return NOT_PLAIN;
        const child = plainCopyOf((value as Record<string, unknown>)[key]);
        if (child === NOT_PLAIN) return NOT_PLAIN;
        copy[key] = child;
      }
      return copy;
    }
    default:
      return NOT_PLAIN;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Keys that change what an object inherits when code copies them (`Object.assign`, spreads, deep merges). */
const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"] as const;
/** Such a key can only be in the parsed value if its name, or an escape that could spell it, is in the text. */
const MAY_HOLD_PROTOTYPE_KEY = /__proto__|constructor|prototype|\\u/;

/**
 * `JSON.parse` without the keys in `PROTOTYPE_KEYS`, at any depth. JSON.parse
 * makes `"__proto__"` an own property, which `Object.assign({}, data)` then
 * turns into the copy's prototype: an unsigned cookie could choose it.
 */
export function parseJsonSafely(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (MAY_HOLD_PROTOTYPE_KEY.test(text)) dropPrototypeKeys(value);
  return value;
}

function dropPrototypeKeys(root: unknown): void {
  // An explicit stack: a deeply nested document must not overflow the call stack.
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== "object" || value === null) continue;
    if (!Array.isArray(value)) {
      for (const key of PROTOTYPE_KEYS) if (Object.hasOwn(value, key)) delete (value as Record<string, unknown>)[key];
    }
    for (const child of Object.values(value)) if (typeof child === "object" && child !== null) pending.push(child);
  }
}
