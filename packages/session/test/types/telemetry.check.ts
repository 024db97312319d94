/**
 * Type tests of events and telemetry, compiled by `npm run typecheck`,
 * never run: `@opentelemetry/api`'s own Tracer and Meter fit the options
 * as they are (the package carries only the shapes it uses), a listener
 * by type gets that type's event, and `type` narrows the union.
 */
import { metrics, trace } from "@opentelemetry/api";
import { expectTypeOf } from "vitest";
import {
  RedisSessionStore,
  session,
  UnsafeMemoryStore,
  type RedisClientLike,
  type SessionEvent,
  type SessionEventListeners,
  type SessionRevokedEvent,
  type StoreOperation,
} from "hattip-session";

declare const client: RedisClientLike;

export const withTelemetry = session({
  store: new UnsafeMemoryStore({ meter: metrics.getMeter("app") }),
  tracer: trace.getTracer("app"),
  meter: metrics.getMeter("app"),
  events: {
    revoked: (event) => expectTypeOf(event).toEqualTypeOf<SessionRevokedEvent>(),
    storeUnavailable: (event) => expectTypeOf(event.operation).toEqualTypeOf<StoreOperation>(),
    any: (event) => expectTypeOf(event).toEqualTypeOf<SessionEvent>(),
  },
});

export const redis = new RedisSessionStore({ getClient: () => client, tracer: trace.getTracer("app"), events: { revoked: async () => {} } });

export function narrowing(event: SessionEvent): void {
  if (event.type === "cookieRefused") expectTypeOf(event.reason).toEqualTypeOf<import("hattip-session").CookieRefusalReason>();
  if (event.type === "bound") expectTypeOf(event.userId).toEqualTypeOf<string>();
  if (event.type === "revoked" && event.requestedBy.kind === "session") expectTypeOf(event.requestedBy.handle).toEqualTypeOf<string | undefined>();
}

// @ts-expect-error: a listener's key is an event type
export const misspelt: SessionEventListeners = { creatd: () => {} };
