/**
 * OpenTelemetry, on the compiled app as `npm start` runs it against its real
 * store: with OTEL_EXPORTER_OTLP_ENDPOINT the official Node SDK sends the
 * login session's spans and metrics as OTLP/HTTP JSON to a collector this
 * test runs (a plain HTTP server that keeps what it is sent, decoded here);
 * without it no module of the SDK is even loaded; and a collector that is
 * down or never answers changes no answer and does not hold up a stop.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { Client, LOGIN_COOKIE } from "./shared/http.js";
import { harness } from "./support/harness.js";
import { freePort, waitFor } from "./support/processes.js";
import { startApp, startServer } from "./support/start-app.js";
import { startStore, type TestStore } from "./support/store.js";

const ALICE = { username: "alice", password: "correct horse battery staple" };
/** Short enough that a test sees an export within a second of the requests behind it. */
const QUICK_EXPORTS = { OTEL_METRIC_EXPORT_INTERVAL: "250", OTEL_METRIC_EXPORT_TIMEOUT: "200", OTEL_BSP_SCHEDULE_DELAY: "100" };
/** The service the app names itself when OTEL_SERVICE_NAME is not set. */
const PACKAGE_NAME = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string }).name;
/** The session store's class, as spans and metrics name it, by the test store's name (store.ts). */
const STORE_CLASS: Record<string, string> = { Redis: "RedisSessionStore", PostgreSQL: "PostgresSessionStore" };

let users: string;
let store: TestStore;

beforeAll(async () => {
  users = `alice:${await hashPassword(ALICE.password)}`;
  store = await startStore();
});

afterAll(async () => {
  await store?.stop();
});

// ---------------------------------------------------------------------------
// A collector: it keeps each OTLP request as sent, and answers as a collector does, or never.

interface Received {
  path: string;
  contentType: string;
  body: string;
}

interface Collector {
  /** Like http://127.0.0.1:41234, the value OTEL_EXPORTER_OTLP_ENDPOINT takes. */
  url: string;
  received: Received[];
  stop(): Promise<void>;
}

async function startCollector(answer: "ok" | "never" = "ok"): Promise<Collector> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      received.push({ path: request.url ?? "", contentType: request.headers["content-type"] ?? "", body: Buffer.concat(parts).toString("utf8") });
      if (answer === "never") return void hanging.push(response);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// OTLP JSON, decoded: just what the assertions read.

type AttributeValue = string | number | boolean;
interface OtlpKeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
interface OtlpResource {
  attributes?: OtlpKeyValue[];
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpKeyValue[];
  status?: { code?: number };
}
interface OtlpTraces {
  resourceSpans: Array<{ resource?: OtlpResource; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}
interface OtlpNumberPoint {
  attributes?: OtlpKeyValue[];
  asInt?: string | number;
  asDouble?: number;
}
interface OtlpHistogramPoint {
  attributes?: OtlpKeyValue[];
  count: string | number;
  explicitBounds: number[];
}
interface OtlpMetric {
  name: string;
  unit: string;
  sum?: { dataPoints: OtlpNumberPoint[] };
  histogram?: { dataPoints: OtlpHistogramPoint[] };
}
interface OtlpMetrics {
  resourceMetrics: Array<{ resource?: OtlpResource; scopeMetrics: Array<{ metrics: OtlpMetric[] }> }>;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    attributes[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue);
  }
  return attributes;
}

const serviceOf = (resource: OtlpResource | undefined) => attributesOf(resource?.attributes)["service.name"];

interface ExportedSpan {
  service: AttributeValue | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, AttributeValue>;
  statusCode: number;
}

function spansOf(collector: Collector): ExportedSpan[] {
  return collector.received
    .filter(({ path }) => path === "/v1/traces")
    .flatMap(({ body }) => (JSON.parse(body) as OtlpTraces).resourceSpans)
    .flatMap(({ resource, scopeSpans }) =>
      scopeSpans.flatMap(({ spans }) =>
        spans.map(
          (span): ExportedSpan => ({
            service: serviceOf(resource),
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            attributes: attributesOf(span.attributes),
            statusCode: span.status?.code ?? 0,
          }),
        ),
      ),
    );
}

interface MetricPoint {
  service: AttributeValue | undefined;
  name: string;
  unit: string;
  attributes: Record<string, AttributeValue>;
  /** A counter's total. */
  value?: number;
  /** A histogram's count of recordings and its bucket bounds. */
  count?: number;
  bounds?: number[];
}

/** The points of the latest metrics export: the SDK sends running totals, so the latest holds everything so far. */
function latestMetrics(collector: Collector): MetricPoint[] {
  const latest = collector.received.filter(({ path }) => path === "/v1/metrics").at(-1);
  if (!latest) return [];
  return (JSON.parse(latest.body) as OtlpMetrics).resourceMetrics.flatMap(({ resource, scopeMetrics }) =>
    scopeMetrics.flatMap(({ metrics }) =>
      metrics.flatMap(({ name, unit, sum, histogram }) => [
        ...(sum?.dataPoints ?? []).map(
          (point): MetricPoint => ({
            service: serviceOf(resource),
            name,
            unit,
            attributes: attributesOf(point.attributes),
            value: Number(point.asInt ?? point.asDouble),
          }),
        ),
        ...(histogram?.dataPoints ?? []).map(
          (point): MetricPoint => ({
            service: serviceOf(resource),
            name,
            unit,
            attributes: attributesOf(point.attributes),
            count: Number(point.count),
            bounds: point.explicitBounds,
          }),
        ),
      ]),
    ),
  );
}

// ---------------------------------------------------------------------------
// Which modules the app loads: a resolve hook in the app's process names each @opentelemetry one on stderr.

const OPENTELEMETRY_LOADED = "opentelemetry module resolved: ";
const MODULE_PROBE = (() => {
  const hooks = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes("/@opentelemetry/")) process.stderr.write(${JSON.stringify(OPENTELEMETRY_LOADED)} + resolved.url + "\\n");
  return resolved;
}`;
  const preload = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(preload)}` };
})();

/** Sign in, open the profile, sign out: the login session is created, read, listed and destroyed. */
async function signInAndOut(url: string): Promise<string> {
  const client = new Client(url, harness);
  expect((await client.get("/login")).status).toBe(200);
  expect((await client.post("/login", ALICE)).status).toBe(303);
  const sessionCookie = client.jar.get(LOGIN_COOKIE);
  expect(sessionCookie).toBeTruthy();
  const profile = await client.get("/profile");
  expect(profile.status).toBe(200);
  expect(profile.body).toContain("alice");
  expect((await client.post("/logout")).status).toBe(303);
  expect(client.jar.has(LOGIN_COOKIE)).toBe(false);
  return sessionCookie!;
}

describe("with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("sends the login session's spans over OTLP/HTTP JSON: one per request, the store calls of its loading and saving under it with their outcomes, under the package's name", async () => {
    const collector = await startCollector();
    const app = await startApp({
      mode: "production",
      env: { USERS: users, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...QUICK_EXPORTS, ...MODULE_PROBE },
      store,
    });
    try {
      expect(app.output()).toContain(`Sending traces and metrics over OTLP (http/json) to ${collector.url}`);
      const sessionCookie = await signInAndOut(app.url);
      await waitFor(async () => spansOf(collector).some((span) => span.name === "hattip_session.store.destroy"), "the sign-out's spans");

      for (const request of collector.received) {
        expect(request.contentType).toBe("application/json");
        // Spans and metrics name a session by nothing a cookie holds.
        expect(request.body).not.toContain(sessionCookie);
      }
      const spans = spansOf(collector);
      expect(new Set(spans.map((span) => span.service))).toEqual(new Set([PACKAGE_NAME]));
      const requestSpans = spans.filter((span) => span.name === "hattip_session.request");
      const storeCallsUnder = (parent: ExportedSpan) =>
        spans
          .filter((span) => span.parentSpanId === parent.spanId)
          .map((span) => {
            expect(span.traceId).toBe(parent.traceId);
            return `${span.name} ${span.attributes["hattip_session.outcome"]}`;
          });
      const byAction = (action: string) => requestSpans.filter((span) => span.attributes["hattip_session.action"] === action);

      // The sign-in: a new session, stored once, with nothing to load before it.
      const [signIn, ...otherCreates] = byAction("create");
      expect(otherCreates).toEqual([]);
      expect(signIn!.parentSpanId).toBeUndefined();
      expect(signIn!.attributes).toMatchObject({ "hattip_session.store": STORE_CLASS[store.name], "hattip_session.cookie_name": "session" });
      expect(storeCallsUnder(signIn!)).toEqual(["hattip_session.store.create created"]);
      const created = spans.find((span) => span.name === "hattip_session.store.create")!;
      expect(created.attributes).toEqual({
        "hattip_session.store": STORE_CLASS[store.name],
        "hattip_session.operation": "create",
        "hattip_session.outcome": "created",
      });
      expect(created.statusCode).not.toBe(2);

      // The visit to the sign-in page: a visitor with no cookie costs the store nothing.
      const [visit] = byAction("leave");
      expect(storeCallsUnder(visit!)).toEqual([]);

      // The sign-out: loaded, then destroyed.
      const [signOut] = byAction("destroy");
      expect(storeCallsUnder(signOut!)).toEqual(["hattip_session.store.load found", "hattip_session.store.destroy destroyed"]);

      // The profile reads the session from the store: in session()'s loading, under the request's session span; or,
      // where a session cache answered the request, in the page's verify(). The page's own calls (verify, the list
      // of devices) run under the request's span, not the session's, and the app opens none: traces of their own.
      const profileLoads = spans.filter((span) => span.name === "hattip_session.store.load" && span.parentSpanId !== signOut!.spanId);
      expect(profileLoads.map((span) => span.attributes["hattip_session.outcome"])).toEqual(["found"]);
      const profileLoadParent = profileLoads[0]!.parentSpanId;
      expect(profileLoadParent === undefined || byAction("leave").some((span) => span.spanId === profileLoadParent)).toBe(true);
      const [list, ...otherLists] = spans.filter((span) => span.name === "hattip_session.store.list");
      expect(otherLists).toEqual([]);
      expect(list!.parentSpanId).toBeUndefined();
      expect(list!.attributes).toEqual({
        "hattip_session.store": STORE_CLASS[store.name],
        "hattip_session.operation": "list",
        "hattip_session.outcome": "listed",
      });

      // The module probe saw the SDK load: its silence in the test without the setting means something.
      expect(app.output()).toContain(`${OPENTELEMETRY_LOADED}`);
    } finally {
      await app.stop();
      await collector.stop();
    }
  });

  it("sends the login session's metrics: sessions created and destroyed by cookie name, store call durations in seconds by operation and outcome", async () => {
    const collector = await startCollector();
    const app = await startApp({ mode: "production", env: { USERS: users, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...QUICK_EXPORTS }, store });
    try {
      await signInAndOut(app.url);
      const counter = (name: string) => latestMetrics(collector).find((point) => point.name === name);
      await waitFor(async () => counter("hattip_session.sessions.destroyed")?.value === 1, "the sign-out's metrics");

      const points = latestMetrics(collector);
      expect(new Set(points.map((point) => point.service))).toEqual(new Set([PACKAGE_NAME]));
      const labels = { "hattip_session.store": STORE_CLASS[store.name], "hattip_session.cookie_name": "session" };
      expect(counter("hattip_session.sessions.created")).toMatchObject({ unit: "{session}", attributes: labels, value: 1 });
      expect(counter("hattip_session.sessions.destroyed")).toMatchObject({ unit: "{session}", attributes: labels, value: 1 });

      const durations = points.filter((point) => point.name === "hattip_session.store.operation.duration");
      const callsOf = (operation: string, outcome: string) =>
        durations.find(
          (point) => point.attributes["hattip_session.operation"] === operation && point.attributes["hattip_session.outcome"] === outcome,
        )?.count;
      expect(callsOf("create", "created")).toBe(1);
      expect(callsOf("destroy", "destroyed")).toBe(1);
      expect(callsOf("list", "listed")).toBe(1);
      expect(callsOf("load", "found")).toBeGreaterThanOrEqual(2);
      for (const point of durations) {
        expect(point.unit).toBe("s");
        expect(point.attributes["hattip_session.store"]).toBe(STORE_CLASS[store.name]);
        expect(point.bounds?.[0]).toBe(0.0001);
        expect(point.bounds?.at(-1)).toBe(10);
      }
      // Nothing failed, so no store error was counted.
      expect(counter("hattip_session.store.errors")).toBeUndefined();
    } finally {
      await app.stop();
      await collector.stop();
    }
  });

  it("changes no answer when the collector is down, and the app stops on SIGTERM as before", async () => {
    const port = await freePort();
    const app = await startApp({
      mode: "production",
      env: { USERS: users, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, ...QUICK_EXPORTS },
      store,
    });
    try {
      await signInAndOut(app.url);
      // Several exports have failed by now; the app still answers, and said nothing of it.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await signInAndOut(app.url);
      expect(app.output()).not.toMatch(/error|ECONNREFUSED/i);
    } finally {
      const stopping = Date.now();
      await app.stop();
      // stopProcess kills at 5 s: under that, the app exited on its own.
      expect(Date.now() - stopping).toBeLessThan(5_000);
    }
  });

  it("changes no answer when the collector never answers, and gives up on the last export after 3 s when told to stop", async () => {
    const collector = await startCollector("never");
    const app = await startApp({
      mode: "production",
      env: { USERS: users, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...QUICK_EXPORTS, OTEL_EXPORTER_OTLP_TIMEOUT: "60000" },
      store,
    });
    try {
      await signInAndOut(app.url);
      await waitFor(async () => collector.received.some(({ path }) => path === "/v1/traces"), "an export the collector holds");
      await signInAndOut(app.url);
    } finally {
      const stopping = Date.now();
      await app.stop();
      expect(Date.now() - stopping).toBeLessThan(5_000);
      await collector.stop();
    }
  });

  it("refuses to start with a message that names the setting when it is not an http(s) URL", async () => {
    for (const endpoint of ["127.0.0.1:4318", "ftp://collector.example"]) {
      const starting = startServer({ ...store.env, USERS: users, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, "production");
      await expect(starting).rejects.toThrow(
        /OTEL_EXPORTER_OTLP_ENDPOINT must (be a URL like http:\/\/127\.0\.0\.1:4318|start with http:\/\/ or https:\/\/)/,
      );
      await expect(starting).rejects.not.toThrow(/\n\s+at /);
    }
  });
});

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("loads no module of the SDK and sends nothing, though the SDK's per-signal endpoints point at a collector", async () => {
    const collector = await startCollector();
    const app = await startApp({
      mode: "production",
      env: {
        USERS: users,
        // The SDK, were it running, would send to these.
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${collector.url}/v1/metrics`,
        ...QUICK_EXPORTS,
        ...MODULE_PROBE,
      },
      store,
    });
    try {
      await signInAndOut(app.url);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(collector.received).toEqual([]);
      expect(app.output()).not.toContain(OPENTELEMETRY_LOADED);
      expect(app.output()).not.toContain("Sending traces and metrics");
    } finally {
      await app.stop();
      await collector.stop();
    }
  });
});
