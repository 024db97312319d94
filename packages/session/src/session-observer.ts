/**
 * session()'s reporting, set up only when events, a tracer or a meter were
 * given (to session() or to its store); without them the middleware runs
 * exactly as it would without this module. The store calls are observed
 * (a span each, durations, errors), what each request did to its session
 * is collected on the way, and reported as events and counts once the
 * response carries the cookie. The session work of a request is one span
 * under the request's, with the store calls under it; the handlers after
 * session() run outside it, under the request's span, as they would
 * without it.
 */
import type { RequestContext } from "@hattip/compose";
import { isSessionError } from "./errors.js";
import type { EventSink, CookieRefusalReason } from "./events.js";
import type { LifetimePolicy } from "./lifetime.js";
import type { RecordAccess } from "./record-access.js";
import type { StoredEntry } from "./record-store.js";
import { refusalOf, reportedUserIndex, storeNameOf, storeTelemetryOf, unreportedUserIndexOf } from "./store-reporting.js";
import { errorCode, Telemetry, TELEMETRY, type TelemetryOptions, type TelemetrySpan, type TelemetryTracer } from "./telemetry.js";
import type { SessionTransport } from "./transport.js";
import type { Awaitable, SessionMiddleware, SessionRecord, SessionScope, SessionStore, UserSessionIndex } from "./types.js";

/** What a request did to its session, as the observed store calls saw it. */
interface RequestTrace {
  /** The ID the request's cookie named, when it was looked up. */
  loadedId?: string;
  /** What the store answered for it, before the absolute lifetime and the schema; absent when the load failed. */
  loaded?: StoredEntry<unknown> | null;
  /** The write the end of the request asked for, carried out or not. */
  action?: "create" | "update" | "rotate" | "destroy";
  /** The write carried out. */
  written?: { action: "create" | "update" | "rotate"; id: string; previousId?: string; record: SessionRecord<unknown> };
  destroyed?: { id: string; found: boolean };
}

/** The handle's side of a request, as the report reads it. */
interface HandleState {
  readonly isFresh: boolean;
  readonly userBound?: boolean;
}

export interface ObserverSetup {
  options: TelemetryOptions;
  store: SessionStore<unknown>;
  scope: SessionScope;
  transport: SessionTransport;
  lifetime: LifetimePolicy;
}

/** The observer of one session(), or `undefined` when neither it nor its store has anything to report to. */
export function sessionObserver(setup: ObserverSetup): SessionObserver | undefined {
  const own = Telemetry.of(setup.options, "session()");
  const telemetry = Telemetry.through(own, storeTelemetryOf(setup.store));
  return telemetry && new SessionObserver(setup, telemetry, own?.sink);
}

const SPAN_KIND_INTERNAL = 0;
const SPAN_STATUS_ERROR = 2;

export class SessionObserver {
  readonly #setup: ObserverSetup;
  readonly #telemetry: Telemetry;
  /** session()'s own listeners: every event. (The store's hear only revokes and outages, through `#telemetry`.) */
  readonly #events: EventSink | undefined;
  readonly #storeName: string;
  readonly #cookieName: string;
  readonly #traces = new WeakMap<RequestContext, RequestTrace>();
  #users: UserSessionIndex | undefined;

  constructor(setup: ObserverSetup, telemetry: Telemetry, events: EventSink | undefined) {
    this.#setup = setup;
    this.#telemetry = telemetry;
    this.#events = events;
    this.#storeName = storeNameOf(setup.store);
    this.#cookieName = setup.scope.name;
  }

  /** `access`, each call observed and its answer noted in the request's trace. */
  store<Data>(access: RecordAccess<Data>): RecordAccess<Data> {
    const call = <T>(
      ctx: RequestContext,
      operation: "load" | "create" | "update" | "rotate" | "destroy",
      work: () => Awaitable<T>,
      outcome: (result: T) => string,
    ) => this.#telemetry.call({ store: this.#storeName, operation, ctx, cookieName: this.#cookieName }, work, outcome);
    this.#users = access.users;
    return {
      keepsRecords: access.keepsRecords,
      clientEditable: access.clientEditable,
      codec: access.codec,
      users: access.users && this.#reportedUsers(access.users),
      // A session the cache's copy answered for is the request's session as a load's would be.
      loadedFromCopy: (id, entry, ctx) => {
        const trace = this.#trace(ctx);
        trace.loadedId = id;
        trace.loaded = entry;
      },
      load: async (id, ctx, scope) => {
        const entry = await call(ctx, "load", () => access.load(id, ctx, scope), foundOrNot);
        const trace = this.#trace(ctx);
        trace.loadedId = id;
        trace.loaded = entry;
        return entry;
      },
      create: async (record, ctx, scope, now, dataJson) => {
        this.#trace(ctx).action = "create";
        const id = await call(ctx, "create", () => access.create(record, ctx, scope, now, dataJson), created);
        this.#trace(ctx).written = { action: "create", id, record };
        return id;
      },
      update: async (id, record, ctx, scope, now, dataJson) => {
        this.#trace(ctx).action = "update";
        const sent = await call(ctx, "update", () => access.update(id, record, ctx, scope, now, dataJson), writtenOrGone("updated"));
        if (sent !== null) this.#trace(ctx).written = { action: "update", id: sent, record };
        return sent;
      },
      rotate: async (oldId, record, ctx, scope, now) => {
        this.#trace(ctx).action = "rotate";
        const id = await call(ctx, "rotate", () => access.rotate(oldId, record, ctx, scope, now), writtenOrGone("rotated"));
        if (id !== null) this.#trace(ctx).written = { action: "rotate", id, previousId: oldId, record };
        return id;
      },
      destroy: async (id, ctx, scope) => {
        this.#trace(ctx).action = "destroy";
        const found = await call(ctx, "destroy", () => access.destroy(id, ctx, scope), destroyedOrNot);
        this.#trace(ctx).destroyed = { id, found };
        return found;
      },
    };
  }

  /** `inner` (session()'s middleware), observed: its request's span, and its report at the end. */
  middleware<Data, Flash>(inner: SessionMiddleware<Data, Flash>): SessionMiddleware<Data, Flash> {
    const { tracer } = this.#telemetry;
    const observed = ((ctx: RequestContext) =>
      tracer ? this.#inSpan(ctx, inner, tracer) : this.#observe(ctx, inner, undefined)) as SessionMiddleware<Data, Flash>;
    observed.of = inner.of;
    return observed;
  }

  /**
   * Runs `inner` in its span, made active so that the store calls nest
   * under it, and hands its `ctx.next()` back out here, so that the
   * handlers run in the context session() was called in (under the
   * request's span, not the session's).
   */
  #inSpan<Data, Flash>(ctx: RequestContext, inner: SessionMiddleware<Data, Flash>, tracer: TelemetryTracer): Promise<Response> {
    const next = ctx.next;
    let handOver!: () => void;
    const handlersTurn = new Promise<boolean>((resolve) => (handOver = () => resolve(true)));
    let answer!: (response: Promise<Response>) => void;
    const handlersAnswer = new Promise<Response>((resolve) => (answer = resolve));
    const attributes = { [TELEMETRY.store]: this.#storeName, [TELEMETRY.cookieName]: this.#cookieName };
    const handOff = () => {
      ctx.next = next;
      handOver();
      return handlersAnswer;
    };
    const session = tracer.startActiveSpan(TELEMETRY.requestSpan, { kind: SPAN_KIND_INTERNAL, attributes }, async (span) => {
      ctx.next = handOff;
      try {
        return await this.#observe(ctx, inner, span);
      } finally {
        // session() failed before it asked for the handlers: the context gets its own next() back.
        if (ctx.next === handOff) ctx.next = next;
        span.end();
      }
    });
    return this.#handOut(ctx, next, session, handlersTurn, answer);
  }

  async #handOut(
    ctx: RequestContext,
    next: RequestContext["next"],
    session: Promise<Response>,
    handlersTurn: Promise<boolean>,
    answer: (response: Promise<Response>) => void,
  ): Promise<Response> {
    // Either session() asks for the handlers, or it ends (answered, or failed) without them.
    if (await Promise.race([handlersTurn, session.then(notHandlersTurn, notHandlersTurn)])) {
      answer((async () => next.call(ctx))());
    }
    return session;
  }

  async #observe<Data, Flash>(ctx: RequestContext, inner: SessionMiddleware<Data, Flash>, span: TelemetrySpan | undefined): Promise<Response> {
    const trace: RequestTrace = {};
    this.#traces.set(ctx, trace);
    let response: Response;
    try {
      response = await inner(ctx);
    } catch (error) {
      await this.#report(ctx, trace, handleStateOf(inner, ctx), error);
      if (span) {
        span.setAttribute(TELEMETRY.action, trace.action ?? "leave");
        span.setAttribute(TELEMETRY.errorType, errorCode(error));
        span.setStatus({ code: SPAN_STATUS_ERROR, message: errorCode(error) });
      }
      throw error;
    }
    await this.#report(ctx, trace, handleStateOf(inner, ctx), undefined);
    span?.setAttribute(TELEMETRY.action, trace.action ?? "leave");
    return response;
  }

  /**
   * The events and counts of a request, from its trace. The writes are
   * reported only when the response carries their cookie; reporting never
   * fails the request.
   */
  async #report(ctx: RequestContext, trace: RequestTrace, handle: HandleState | undefined, error: unknown): Promise<void> {
    const events = this.#events;
    const { metrics } = this.#telemetry;
    if (!events && !metrics) return;
    const base = () => ({ at: Date.now(), store: this.#storeName, cookieName: this.#cookieName });
    try {
      const refusal = await this.#refusal(ctx, trace, handle);
      if (refusal) this.#refused(ctx, refusal.reason, await this.#handleOf(refusal.named));

      const { destroyed, loaded } = trace;
      if (destroyed?.found && loaded) {
        metrics?.session("destroyed", this.#storeName, this.#cookieName);
        const { user, agent } = loaded.record.meta ?? {};
        const device = user === undefined ? undefined : agent;
        events?.emit({ type: "destroyed", ...base(), handle: await this.#handleOf(destroyed.id), userId: user, device }, ctx);
      }

      const { written } = trace;
      if (written && error === undefined) {
        const { action, record } = written;
        const handleNow = await this.#handleOf(written.id);
        const userId = record.meta?.user;
        if (action === "create") {
          metrics?.session("created", this.#storeName, this.#cookieName);
          events?.emit({ type: "created", ...base(), handle: handleNow, userId }, ctx);
        } else if (action === "rotate") {
          metrics?.session("rotated", this.#storeName, this.#cookieName);
          events?.emit({ type: "rotated", ...base(), handle: handleNow, previousHandle: await this.#handleOf(written.previousId), userId }, ctx);
        }
        if (handle?.userBound && action !== "update" && userId !== undefined)
          events?.emit({ type: "bound", ...base(), handle: handleNow, userId, device: record.meta?.agent ?? "Unknown device" }, ctx);
        const authAt = record.meta?.authAt;
        if (authAt !== undefined && authAt !== loaded?.record.meta?.authAt)
          events?.emit({ type: "sudoConfirmed", ...base(), handle: handleNow, userId }, ctx);
      }
      if (isSessionError(error, "ERR_SESSION_TOO_LARGE")) this.#refused(ctx, "too_large", undefined);
    } catch (failure) {
      // A handle that cannot be computed (a store of your own failing sessionHandle) must not fail the request.
      console.error("hattip-session: reporting a request's session events failed:", failure);
    }
  }

  /** Why the request's cookie was refused, and the ID it named when a handle can name it. */
  async #refusal(
    ctx: RequestContext,
    trace: RequestTrace,
    handle: HandleState | undefined,
  ): Promise<{ reason: CookieRefusalReason; named: string | undefined } | undefined> {
    const { loadedId, loaded } = trace;
    if (loadedId === undefined) {
      // Nothing was looked up: no cookie, or one the transport could not read (chunks that do not add up).
      let carried: string | undefined;
      try {
        carried = this.#setup.transport.read(ctx);
      } catch {
        return undefined;
      }
      return carried === "" ? { reason: "malformed", named: undefined } : undefined;
    }
    // A load that failed is reported as the outage it was.
    if (loaded === undefined) return undefined;
    if (loaded === null) {
      const reason = await refusalOf(this.#setup.store, loadedId, this.#setup.scope);
      return { reason, named: reason === "malformed" ? undefined : loadedId };
    }
    // The store had it and session() did not take it: past the absolute lifetime, or refused by the schema.
    if (handle?.isFresh !== true) return undefined;
    const reason = this.#setup.lifetime.isPastAbsolute(loaded.record, Date.now()) ? "expired" : "schema_rejected";
    return { reason, named: loadedId };
  }

  #refused(ctx: RequestContext, reason: CookieRefusalReason, handle: string | undefined): void {
    this.#telemetry.metrics?.refused(this.#storeName, this.#cookieName, reason);
    this.#events?.emit({ type: "cookieRefused", at: Date.now(), store: this.#storeName, cookieName: this.#cookieName, reason, handle }, ctx);
  }

  /** The store's user index, reported with the session that asked (the one the request loaded). */
  #reportedUsers(users: UserSessionIndex): UserSessionIndex {
    return reportedUserIndex(unreportedUserIndexOf(users), {
      telemetry: this.#telemetry,
      store: this.#storeName,
      cookieName: this.#cookieName,
      requestedBy: async (ctx) => {
        const trace = ctx && this.#traces.get(ctx);
        return { kind: "session", handle: trace?.loaded ? await this.#handleOf(trace.loadedId) : undefined };
      },
    });
  }

  /** The public handle of session `id`, in a store that has handles (a server-side one). */
  async #handleOf(id: string | undefined): Promise<string | undefined> {
    return id === undefined || !this.#users ? undefined : this.#users.sessionHandle(id);
  }

  #trace(ctx: RequestContext): RequestTrace {
    let trace = this.#traces.get(ctx);
    if (!trace) this.#traces.set(ctx, (trace = {}));
    return trace;
  }
}

function handleStateOf<Data, Flash>(inner: SessionMiddleware<Data, Flash>, ctx: RequestContext): HandleState | undefined {
  try {
    return inner.of(ctx) as unknown as HandleState;
  } catch {
    // session() failed before it made the request's session.
    return undefined;
  }
}

const notHandlersTurn = () => false;
const foundOrNot = (entry: unknown) => (entry ? "found" : "not_found");
const created = () => "created";
const writtenOrGone = (done: string) => (id: string | null) => (id === null ? "gone" : done);
const destroyedOrNot = (found: boolean) => (found ? "destroyed" : "not_found");
