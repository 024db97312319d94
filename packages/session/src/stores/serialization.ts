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

export function createSerializer<Data = SessionData>(
  options: SessionSerializationOptions<Data> = {},
): Serializer<Data> {
  const stringify = options.stringify ?? (JSON.stringify as (data: Data) => string);
  const parse = options.parse ?? (JSON.parse as (text: string) => Data);
  return {
    stringify,
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

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
