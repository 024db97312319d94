/**
 * OpenTelemetry without a dependency: the app passes its own `tracer` and
 * `meter` (from `@opentelemetry/api`), and this module uses the few methods
 * it needs, typed here as the package carries the Standard Schema types.
 * It names the spans and instruments, and observes one store call the one
 * way both the middleware and the stores use: a span, its duration, its
 * errors by code, and a `storeUnavailable` event.
 */
import type { RequestContext } from "@hattip/compose";
import { isSessionError, SessionSetupError } from "./errors.js";
import { EventSink, type CookieRefusalReason, type SessionEventListeners, type SessionRevokedEvent, type StoreOperation } from "./events.js";
import type { Awaitable } from "./types.js";

/** Attribute values as OpenTelemetry takes them (the scalar ones). */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** The part of an OpenTelemetry `Span` the package uses. */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The part of an OpenTelemetry `Tracer` the package uses: `trace.getTracer("my-app")` fits. */
export interface TelemetryTracer {
  startActiveSpan<F extends (span: TelemetrySpan) => unknown>(
    name: string,
    options: { kind?: number; attributes?: TelemetryAttributes },
    fn: F,
  ): ReturnType<F>;
}

/** What the package says of an instrument it creates (OpenTelemetry's `MetricOptions`, in part). */
interface InstrumentDescription {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** The part of an OpenTelemetry `Meter` the package uses: `metrics.getMeter("my-app")` fits. */
export interface TelemetryMeter {
  createHistogram(name: string, options?: InstrumentDescription): { record(value: number, attributes?: TelemetryAttributes): void };
  createCounter(name: string, options?: InstrumentDescription): { add(value: number, attributes?: TelemetryAttributes): void };
}

/** What `session()` and the server-side stores take to report what they do. */
export interface TelemetryOptions {
  /**
   * Lifecycle event listeners (an audit log, an alert). Events carry the
   * public handle, never a session ID, cookie value or data.
   * @default undefined (no events, and nothing computed for them)
   */
  events?: SessionEventListeners;
  /**
   * An OpenTelemetry tracer (`trace.getTracer("my-app")` from
   * `@opentelemetry/api`): a span per store call, and one for the session
   * work of each request.
   * @default undefined (no spans)
   */
  tracer?: TelemetryTracer;
  /**
   * An OpenTelemetry meter (`metrics.getMeter("my-app")`): store call
   * durations, sessions created, rotated, destroyed, revokes, cookies
   * refused and store errors.
   * @default undefined (no metrics)
   */
  meter?: TelemetryMeter;
}

/** Span and instrument names, and the attribute keys, as the README documents them. */
export const TELEMETRY = {
  requestSpan: "hattip_session.request",
  storeSpanPrefix: "hattip_session.store.",
  duration: "hattip_session.store.operation.duration",
  storeErrors: "hattip_session.store.errors",
  created: "hattip_session.sessions.created",
  rotated: "hattip_session.sessions.rotated",
  destroyed: "hattip_session.sessions.destroyed",
  revocations: "hattip_session.revocations",
  refused: "hattip_session.cookies.refused",
  store: "hattip_session.store",
  operation: "hattip_session.operation",
  outcome: "hattip_session.outcome",
  cookieName: "hattip_session.cookie_name",
  action: "hattip_session.action",
  reason: "hattip_session.refusal.reason",
  scope: "hattip_session.revoke.scope",
  requestedBy: "hattip_session.revoke.requested_by",
  errorType: "error.type",
} as const;

const SPAN_KIND_INTERNAL = 0;
const SPAN_STATUS_ERROR = 2;
/** Store calls take from tens of microseconds (memory) to seconds (a timeout): buckets in seconds over that range. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The instruments, made once per meter. */
class Metrics {
  readonly #duration;
  readonly #errors;
  readonly #created;
  readonly #rotated;
  readonly #destroyed;
  readonly #revocations;
  readonly #refused;

  constructor(meter: TelemetryMeter) {
    this.#duration = meter.createHistogram(TELEMETRY.duration, {
      description: "How long a session store call took, by store, operation and outcome.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#errors = meter.createCounter(TELEMETRY.storeErrors, { description: "Session store calls that failed, by error code.", unit: "{error}" });
    this.#created = meter.createCounter(TELEMETRY.created, { description: "Sessions created.", unit: "{session}" });
    this.#rotated = meter.createCounter(TELEMETRY.rotated, { description: "Sessions moved to a new ID (regenerate, bindUser).", unit: "{session}" });
    this.#destroyed = meter.createCounter(TELEMETRY.destroyed, { description: "Sessions ended by destroy().", unit: "{session}" });
    this.#revocations = meter.createCounter(TELEMETRY.revocations, {
      description: "Revokes of a user's sessions carried out (one, others or all), by scope.",
      unit: "{revocation}",
    });
    this.#refused = meter.createCounter(TELEMETRY.refused, { description: "Session cookies refused, by reason.", unit: "{cookie}" });
  }

  storeCall(store: string, operation: StoreOperation, outcome: string, seconds: number): void {
    this.#duration.record(seconds, { [TELEMETRY.store]: store, [TELEMETRY.operation]: operation, [TELEMETRY.outcome]: outcome });
  }

  storeError(store: string, operation: StoreOperation, code: string): void {
    this.#errors.add(1, { [TELEMETRY.store]: store, [TELEMETRY.operation]: operation, [TELEMETRY.errorType]: code });
  }

  session(change: "created" | "rotated" | "destroyed", store: string, cookieName: string): void {
    const counter = change === "created" ? this.#created : change === "rotated" ? this.#rotated : this.#destroyed;
    counter.add(1, { [TELEMETRY.store]: store, [TELEMETRY.cookieName]: cookieName });
  }

  revoked(store: string, scope: SessionRevokedEvent["scope"], requestedBy: SessionRevokedEvent["requestedBy"]["kind"]): void {
    this.#revocations.add(1, { [TELEMETRY.store]: store, [TELEMETRY.scope]: scope, [TELEMETRY.requestedBy]: requestedBy });
  }

  refused(store: string, cookieName: string, reason: CookieRefusalReason): void {
    this.#refused.add(1, { [TELEMETRY.store]: store, [TELEMETRY.cookieName]: cookieName, [TELEMETRY.reason]: reason });
  }
}

/** Made once per meter: two stores (or a store and session()) sharing a meter share its instruments. */
const metricsByMeter = new WeakMap<TelemetryMeter, Metrics>();

/** Where one store call came from. */
export interface CallSite {
  readonly store: string;
  readonly operation: StoreOperation;
  readonly ctx: RequestContext | undefined;
  readonly cookieName: string | undefined;
}

/** What one owner (`session()`, or a store for the calls the app makes on it) reports to. */
export class Telemetry {
  private constructor(
    /** The listeners of `revoked` and `storeUnavailable`, the events a store reports. */
    readonly sink: EventSink | undefined,
    readonly tracer: TelemetryTracer | undefined,
    readonly metrics: Metrics | undefined,
  ) {}

  /** From an owner's options; `undefined` when it has nothing to report to, so that it pays nothing. */
  static of(options: TelemetryOptions | undefined, owner: string): Telemetry | undefined {
    const sink = EventSink.of(options?.events, owner);
    const tracer = checked(options?.tracer, "startActiveSpan", `${owner} \`tracer\``);
    const meter = checked(options?.meter, "createHistogram", `${owner} \`meter\``);
    if (!sink && !tracer && !meter) return undefined;
    return new Telemetry(sink, tracer, meter && metricsOf(meter));
  }

  /**
   * What a call through `session()` reports to: both owners' listeners (an
   * object given to both, once), and `session()`'s tracer and meter, or
   * the store's when `session()` has none, so that no call is counted twice.
   */
  static through(session: Telemetry | undefined, store: Telemetry | undefined): Telemetry | undefined {
    if (!session || !store) return session ?? store;
    return new Telemetry(EventSink.both(session.sink, store.sink), session.tracer ?? store.tracer, session.metrics ?? store.metrics);
  }

  /**
   * Runs one store call: its span (active, so that a driver's own spans
   * nest under it), its duration by outcome, and on failure its error code
   * and, for an outage, a `storeUnavailable` event.
   */
  call<T>(site: CallSite, work: () => Awaitable<T>, outcomeOf: (result: T) => string): Promise<T> {
    if (!this.tracer) return this.#measure(site, work, outcomeOf, undefined);
    return this.tracer.startActiveSpan(
      TELEMETRY.storeSpanPrefix + site.operation,
      { kind: SPAN_KIND_INTERNAL, attributes: { [TELEMETRY.store]: site.store, [TELEMETRY.operation]: site.operation } },
      (span) => this.#measure(site, work, outcomeOf, span),
    );
  }

  async #measure<T>(site: CallSite, work: () => Awaitable<T>, outcomeOf: (result: T) => string, span: TelemetrySpan | undefined): Promise<T> {
    const started = this.metrics ? performance.now() : 0;
    try {
      const result = await work();
      const outcome = outcomeOf(result);
      span?.setAttribute(TELEMETRY.outcome, outcome);
      this.metrics?.storeCall(site.store, site.operation, outcome, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const code = errorCode(error);
      if (span) {
        span.setAttribute(TELEMETRY.outcome, "error");
        span.setAttribute(TELEMETRY.errorType, code);
        // The code only: a backend's message may quote what it was sent.
        span.setStatus({ code: SPAN_STATUS_ERROR, message: code });
      }
      if (this.metrics) {
        this.metrics.storeCall(site.store, site.operation, "error", (performance.now() - started) / 1000);
        this.metrics.storeError(site.store, site.operation, code);
      }
      if (this.sink && isSessionError(error, "ERR_SESSION_STORE_UNAVAILABLE")) {
        this.sink.emit(
          {
            type: "storeUnavailable",
            at: Date.now(),
            store: site.store,
            cookieName: site.cookieName,
            operation: site.operation,
            code,
            cause: causeOf(error),
          },
          site.ctx,
        );
      }
      throw error;
    } finally {
      span?.end();
    }
  }

  /** A revoke the store carried out: its event and its count. */
  revoked(event: Omit<SessionRevokedEvent, "type" | "at">, ctx: RequestContext | undefined): void {
    this.metrics?.revoked(event.store, event.scope, event.requestedBy.kind);
    this.sink?.emit({ type: "revoked", at: Date.now(), ...event }, ctx);
  }
}

function metricsOf(meter: TelemetryMeter): Metrics {
  let metrics = metricsByMeter.get(meter);
  if (!metrics) metricsByMeter.set(meter, (metrics = new Metrics(meter)));
  return metrics;
}

function checked<T extends object>(value: T | undefined, method: string, what: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof (value as Record<string, unknown> | null)?.[method] === "function") return value;
  throw new SessionSetupError(
    `${what} must be an OpenTelemetry ${method === "startActiveSpan" ? "Tracer (trace.getTracer(...))" : "Meter (metrics.getMeter(...))"}.`,
  );
}

/** A failure's stable code: a SessionError's, a driver's `code`, or the error's name. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  return error instanceof Error ? error.name : "unknown";
}

/** What the backend said under an outage, when it said it with a code: the first code down the chain of causes. */
function causeOf(error: unknown): string | undefined {
  let cause = (error as { cause?: unknown }).cause;
  for (let depth = 0; depth < 4 && typeof cause === "object" && cause !== null; depth++) {
    if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
    if (cause instanceof Error && cause.name === "DeadlineExceeded") return "timeout";
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

export type { Metrics };
