/**
 * Type tests of the error helpers, compiled by `npm run typecheck`, never
 * run: `isSessionError(error, code)` narrows to the class of that code, so
 * a handler reads the fields of that class without a cast.
 */
import { expectTypeOf } from "vitest";
import {
  isSessionError,
  type SessionError,
  type SessionKeyError,
  type SessionSetupError,
  type SessionStoreUnavailableError,
  type SessionTooLargeError,
  type SessionUnsupportedError,
  type SessionErrorCode,
} from "hattip-session";

export function narrowing(error: unknown): void {
  if (isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE")) {
    expectTypeOf(error).toEqualTypeOf<SessionStoreUnavailableError>();
    expectTypeOf(error.code).toEqualTypeOf<"ERR_SESSION_STORE_UNAVAILABLE">();
  }
  if (isSessionError(error, "ERR_SESSION_TOO_LARGE")) {
    expectTypeOf(error).toEqualTypeOf<SessionTooLargeError>();
    // The fields of that class, with no cast.
    expectTypeOf(error.limit).toEqualTypeOf<number>();
    expectTypeOf(error.cookieName).toEqualTypeOf<string>();
  }
  if (isSessionError(error, "ERR_SESSION_SETUP")) expectTypeOf(error).toEqualTypeOf<SessionSetupError>();
  if (isSessionError(error, "ERR_SESSION_KEY")) expectTypeOf(error).toEqualTypeOf<SessionKeyError>();
  if (isSessionError(error, "ERR_SESSION_UNSUPPORTED")) expectTypeOf(error).toEqualTypeOf<SessionUnsupportedError>();
  if (isSessionError(error, "ERR_SESSION")) expectTypeOf(error).toEqualTypeOf<SessionError>();
  if (isSessionError(error)) {
    expectTypeOf(error).toEqualTypeOf<SessionError>();
    expectTypeOf(error.code).toEqualTypeOf<SessionErrorCode>();
  }
}

export function narrowingByAnyCode(error: unknown, code: SessionErrorCode): void {
  if (isSessionError(error, code)) expectTypeOf(error).toExtend<SessionError>();
}

// @ts-expect-error -- not a code of this package
isSessionError(new Error("x"), "ERR_SESSION_TYPO");

// Each class's code is its own literal, so the classes are told apart by type too.
expectTypeOf<SessionStoreUnavailableError["code"]>().toEqualTypeOf<"ERR_SESSION_STORE_UNAVAILABLE">();
expectTypeOf<SessionStoreUnavailableError>().not.toEqualTypeOf<SessionSetupError>();
