/**
 * Standard Schema v1 (standardschema.dev): the interface zod (3.24+ and 4),
 * valibot 1, arktype 2 and others implement. The spec asks consumers to
 * carry its types rather than depend on a package, so they are written out
 * here; `validateSessionData` is the one place that runs a validator.
 */

/** A validator that follows Standard Schema v1. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

// A type-only namespace, as the spec writes it, so that `StandardSchemaV1.InferOutput<S>` reads as in every library.
export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["input"];
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["output"];
}

/** `true` when `value` looks like a Standard Schema v1 validator. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { "~standard"?: { version?: unknown; validate?: unknown } } | null)?.["~standard"];
  return typeof props === "object" && props !== null && props.version === 1 && typeof props.validate === "function";
}

/**
 * The validated (possibly transformed) data, or `null` when the schema
 * rejects it, throws, or yields something that is not a plain object:
 * loaded data that does not pass gives a fresh session, never a 500.
 */
export async function validateSessionData<Output>(schema: StandardSchemaV1<unknown, Output>, data: unknown): Promise<Output | null> {
  try {
    const result = await schema["~standard"].validate(data);
    if (result.issues !== undefined) return null;
    const { value } = result;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
