/**
 * The one place that turns session data into text and back. Whatever the
 * user's `parse` does, a store only ever receives a plain object or `null`.
 */
import type { SessionData, SessionSerializationOptions } from "../types.js";

export interface Serializer<Data> {
  stringify(data: Data): string;
  /** The parsed data, or `null` when it is invalid for any reason. */
  parse(serialized: string): Data | null;
}

/**
 * The JSON text each object parsed by a default (JSON) serializer came
 * from. The middleware's default change detection compares JSON texts, so
 * this text stands in for stringifying the data again before the handler
 * runs. A text that is not what JSON.stringify would write (spaces, say)
 * only makes the session look changed, and so written once more.
 */
const jsonSources = new WeakMap<object, string>();

/** The JSON text `data` was parsed from by a default serializer, if it was. */
export function jsonSourceOf(data: unknown): string | undefined {
  return typeof data === "object" && data !== null ? jsonSources.get(data) : undefined;
}

export function createSerializer<Data = SessionData>(
  options: SessionSerializationOptions<Data> = {},
): Serializer<Data> {
  const isJson = options.stringify === undefined && options.parse === undefined;
  const stringify = options.stringify ?? (JSON.stringify as (data: Data) => string);
  const parse = options.parse ?? (JSON.parse as (text: string) => Data);
  return {
    stringify,
    parse(serialized) {
      try {
        const data = parse(serialized);
        if (!isPlainObject(data)) return null;
        if (isJson) jsonSources.set(data as object, serialized);
        return data;
      } catch {
        return null;
      }
    },
  };
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
