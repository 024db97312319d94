/**
 * OpenTelemetry through the real SDK: the app's tracer and meter (from
 * @opentelemetry/api, with @opentelemetry/sdk-trace-base's in-memory span
 * exporter and @opentelemetry/sdk-metrics's in-memory exporter behind
 * them, and the AsyncLocalStorage context manager a Node app registers)
 * given to session() and to a store. The spans, their parents and
 * attributes, and the metrics' names, units and attributes are read back
 * from the SDK, as an exporter would send them.
 */
import { compose, type RequestHandler } from "@hattip/compose";
import { cookie } from "@hattip/cookie";
import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RedisSessionStore, session, type SessionOptions, type SessionStore, type UserSessionIndex } from "../src/index.js";
import { CookieClient } from "./support/browser-like-client.js";
import { MapStore } from "./support/events.js";
import { useEveryStore } from "./support/every-store.js";
import { serve, type Served } from "./support/serve.js";
import { DEVICES } from "./support/user-app.js";

const stores = useEveryStore();
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = tracerProvider.getTracer("events-test");
const contextManager = new AsyncLocalStorageContextManager();
let metricsExporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  spans.reset();
  metricsExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({ exporter: metricsExporter, exportIntervalMillis: 3_600_000 });
  meterProvider = new MeterProvider({ readers: [reader] });
});
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
  await meterProvider.shutdown();
});

/** The request's own span, as an HTTP instrumentation would open it, around everything else. */
const requestSpan = (tracing: Tracer) => (ctx: Parameters<RequestHandler>[0]) =>
  tracing.startActiveSpan(`${ctx.method} ${ctx.url.pathname}`, async (span) => {
    try {
      return await ctx.next();
    } finally {
      span.end();
    }
  });

const routes: RequestHandler = async (ctx) => {
  const s = ctx.session;
  const { pathname, searchParams } = ctx.url;
  // The handler's own work, in a span of its own: it belongs under the request's span, not the session's.
  return tracer.startActiveSpan("handler", async (span) => {
    try {
      if (pathname === "/write") s.data.count = (s.data.count ?? 0) + 1;
      if (pathname === "/login") s.bindUser(searchParams.get("user") ?? "ada");
      if (pathname === "/logout") await s.destroy();
      if (pathname === "/sessions") return Response.json(await s.listSessions());
      if (pathname === "/revoke-others") await s.revokeOtherSessions();
      return Response.json({ isFresh: s.isFresh });
    } finally {
      span.end();
    }
  });
};

declare module "../src/index.js" {
  interface SessionData {
    count?: number;
  }
}

async function start(options: SessionOptions) {
  const served = await serve(compose(requestSpan(tracer), cookie(), session(options), routes));
  running.push(served);
  return (userAgent: string = DEVICES.laptop) => {
    const client = new CookieClient(served.url);
    const request = client.request.bind(client);
    client.request = (path, init = {}) => request(path, { ...init, headers: { "user-agent": userAgent } });
    return client;
  };
}

const finished = () => spans.getFinishedSpans();
const named = (name: string) => finished().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** Every data point of `name` after a collection, with the instrument's unit. */
async function points(name: string): Promise<{ unit: string; points: DataPoint<unknown>[] }> {
  await reader.forceFlush();
  const all = metricsExporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
  const metric = all.filter((candidate) => candidate.descriptor.name === name).at(-1);
  return { unit: metric?.descriptor.unit ?? "", points: (metric?.dataPoints ?? []) as DataPoint<unknown>[] };
}

const sumOf = async (name: string, attributes: Record<string, unknown>) =>
  (await points(name)).points
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + (point.value as number), 0);

describe.each(stores)("spans with $name", (kit) => {
  it("make the session work of a request one span under the request's, each store call a span under it, and the handler's spans not", async () => {
    const browser = await start({ store: await kit.make(), tracer });
    const tab = browser();
    await tab.get("/write");
    spans.reset();
    await tab.get(kit.clientEditable ? "/write" : "/login");

    const [request] = named("GET " + (kit.clientEditable ? "/write" : "/login"));
    const [sessionSpan] = named("hattip_session.request");
    const [handler] = named("handler");
    expect(parentOf(sessionSpan!)).toBe(idOf(request!));
    expect(parentOf(handler!)).toBe(idOf(request!));
    expect(sessionSpan!.attributes).toEqual({
      "hattip_session.store": kit.name,
      "hattip_session.cookie_name": "session",
      "hattip_session.action": kit.clientEditable ? "update" : "rotate",
    });
    const storeCalls = finished().filter((span) => span.name.startsWith("hattip_session.store."));
    expect(storeCalls.map((span) => span.name)).toEqual([
      "hattip_session.store.load",
      `hattip_session.store.${kit.clientEditable ? "update" : "rotate"}`,
    ]);
    for (const call of storeCalls) {
      expect(parentOf(call)).toBe(idOf(sessionSpan!));
      expect(call.attributes["hattip_session.store"]).toBe(kit.name);
      expect(call.endTime[0] * 1e9 + call.endTime[1]).toBeGreaterThanOrEqual(call.startTime[0] * 1e9 + call.startTime[1]);
    }
    expect(storeCalls.map((span) => [span.attributes["hattip_session.operation"], span.attributes["hattip_session.outcome"]])).toEqual([
      ["load", "found"],
      kit.clientEditable ? ["update", "updated"] : ["rotate", "rotated"],
    ]);
  });
});

describe("spans and metrics", () => {
  const memory = () => stores.find((kit) => kit.name === "UnsafeMemoryStore")!.make();

  it("count sessions created, rotated and destroyed, cookies refused by reason, and store call durations in seconds by outcome", async () => {
    const meter = meterProvider.getMeter("events-test");
    const browser = await start({ store: await memory(), tracer, meter });
    const tab = browser();
    tab.jar.set("session", "unknown-session-id");
    await tab.get("/write");
    await tab.get("/login");
    await tab.get("/logout");

    const base = { "hattip_session.store": "UnsafeMemoryStore", "hattip_session.cookie_name": "session" };
    expect(await sumOf("hattip_session.sessions.created", base)).toBe(1);
    expect(await sumOf("hattip_session.sessions.rotated", base)).toBe(1);
    expect(await sumOf("hattip_session.sessions.destroyed", base)).toBe(1);
    expect(await sumOf("hattip_session.cookies.refused", { ...base, "hattip_session.refusal.reason": "unknown_session" })).toBe(1);
    expect((await points("hattip_session.sessions.created")).unit).toBe("{session}");
    expect((await points("hattip_session.cookies.refused")).unit).toBe("{cookie}");

    const duration = await points("hattip_session.store.operation.duration");
    expect(duration.unit).toBe("s");
    // Buckets in seconds, from 100 µs (a memory store) to 10 s (a timeout), not the SDK's default milliseconds.
    expect((duration.points[0]!.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]);
    const calls = duration.points.map((point) => [
      point.attributes["hattip_session.operation"],
      point.attributes["hattip_session.outcome"],
      (point.value as { count: number }).count,
    ]);
    expect(calls).toEqual(
      expect.arrayContaining([
        ["load", "not_found", 1],
        ["create", "created", 1],
        ["load", "found", 2],
        ["rotate", "rotated", 1],
        ["destroy", "destroyed", 1],
      ]),
    );
    expect(calls).toHaveLength(5);
  });

  it("report a store outage as a failed span with its error code, a storeUnavailable event and a store error by code", async () => {
    const meter = meterProvider.getMeter("events-test");
    // A client of a port nothing listens on (discard): every command fails at once, as with Redis down.
    const client = createClient({ url: "redis://127.0.0.1:9", socket: { reconnectStrategy: false } });
    const outages: unknown[] = [];
    const store = new RedisSessionStore({ getClient: () => client, timeout: 300 });
    const browser = await start({ store, tracer, meter, events: { storeUnavailable: (event) => void outages.push(event) } });
    const tab = browser();
    tab.jar.set("session", "A".repeat(43));
    expect((await tab.get("/read")).status).toBe(500);

    const [load] = named("hattip_session.store.load");
    expect(load!.status).toEqual({ code: 2, message: "ERR_SESSION_STORE_UNAVAILABLE" });
    expect(load!.attributes).toMatchObject({ "hattip_session.outcome": "error", "error.type": "ERR_SESSION_STORE_UNAVAILABLE" });
    const [sessionSpan] = named("hattip_session.request");
    expect(sessionSpan!.status.code).toBe(2);
    expect(
      await sumOf("hattip_session.store.errors", {
        "hattip_session.store": "RedisSessionStore",
        "hattip_session.operation": "load",
        "error.type": "ERR_SESSION_STORE_UNAVAILABLE",
      }),
    ).toBe(1);
    expect(outages).toEqual([
      expect.objectContaining({ type: "storeUnavailable", store: "RedisSessionStore", operation: "load", code: "ERR_SESSION_STORE_UNAVAILABLE" }),
    ]);
  });

  it("measure a call the app makes on the store with the store's own tracer and meter, and a call through session() once, though both share a meter", async () => {
    const meter = meterProvider.getMeter("events-test");
    const store = (await stores.find((kit) => kit.name === "RedisSessionStore")!.make({ tracer, meter })) as SessionStore & UserSessionIndex;
    const browser = await start({ store, tracer, meter });
    const laptop = browser(DEVICES.laptop);
    const phone = browser(DEVICES.phone);
    await laptop.get("/login");
    await phone.get("/login");
    await laptop.get("/revoke-others");
    spans.reset();
    await store.revokeUserSessions("ada");

    const [revoke] = named("hattip_session.store.revoke");
    expect(revoke!.parentSpanContext).toBeUndefined();
    expect(revoke!.attributes).toMatchObject({ "hattip_session.store": "RedisSessionStore", "hattip_session.outcome": "revoked" });
    const revocations = await points("hattip_session.revocations");
    expect(revocations.unit).toBe("{revocation}");
    expect(
      revocations.points.map((point) => [
        point.attributes["hattip_session.revoke.scope"],
        point.attributes["hattip_session.revoke.requested_by"],
        point.value,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ["others", "session", 1],
        ["all", "app", 1],
      ]),
    );
    const revokeCalls = (await points("hattip_session.store.operation.duration")).points.filter(
      (point) => point.attributes["hattip_session.operation"] === "revoke",
    );
    expect(revokeCalls.reduce((sum, point) => sum + (point.value as { count: number }).count, 0)).toBe(2);
  });

  it("put a span the store's backend opens (a driver's own) under the store call's span", async () => {
    /** A store of your own whose backend traces its calls, as an instrumented driver does. */
    class TracedBackendStore extends MapStore {
      override load(id: string) {
        return tracer.startActiveSpan("backend get", (span) => {
          span.end();
          return super.load(id);
        });
      }
    }
    const browser = await start({ store: new TracedBackendStore(), tracer });
    const tab = browser();
    await tab.get("/write");
    spans.reset();
    await tab.get("/read");
    const [load] = named("hattip_session.store.load");
    const [backend] = named("backend get");
    expect(load!.attributes["hattip_session.store"]).toBe("TracedBackendStore");
    expect(parentOf(backend!)).toBe(idOf(load!));
  });

  it("leaves the request's spans as they are with no tracer given", async () => {
    const browser = await start({ store: await memory() });
    await browser().get("/write");
    expect(finished().map((span) => span.name)).toEqual(["handler", "GET /write"]);
  });
});
