/**
 * OpenTelemetry for the Node app, off unless OTEL_EXPORTER_OTLP_ENDPOINT is
 * set. Then the official Node SDK, loaded only then, exports what the
 * sessions do (a span per store call, store call durations, sessions
 * created, rotated and destroyed...) over OTLP to that endpoint, to any
 * collector; it reads the standard OTEL_* settings itself
 * (OTEL_EXPORTER_OTLP_HEADERS, OTEL_METRIC_EXPORT_INTERVAL, ...).
 *
 * Two defaults of the app's own, each overridden by its setting: JSON over
 * HTTP (OTEL_EXPORTER_OTLP_PROTOCOL=http/json), which every collector takes
 * and a person can read, and the service named after package.json's `name`
 * (OTEL_SERVICE_NAME).
 */
import { readFileSync } from "node:fs";
import type { TelemetryMeter, TelemetryTracer } from "hattip-session";

export interface Telemetry {
  /** Where it exports to, without any credentials the URL held: for the start-up message. */
  destination: string;
  tracer: TelemetryTracer;
  meter: TelemetryMeter;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** The service's name when OTEL_SERVICE_NAME is not set: the app's package name, as `npm init` or create-app named it. */
function packageName(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name?: unknown };
    if (typeof manifest.name === "string" && manifest.name) return manifest.name;
  } catch {
    // No readable package.json beside the app: the fallback below names it.
  }
  return "hattip-session-app";
}

/** The endpoint as a URL, or a message that says what is wrong with it. */
function endpointUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be a URL like http://127.0.0.1:4318, not "${value}".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must start with http:// or https://, not ${url.protocol}//.`);
  }
  return url;
}

/**
 * Starts the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set, before the app
 * serves; without it, loads nothing and returns undefined. The SDK reads
 * its settings from `process.env`, so the app's defaults go there too.
 */
export async function startTelemetry(): Promise<Telemetry | undefined> {
  const env = process.env;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  const url = endpointUrl(endpoint);
  env.OTEL_EXPORTER_OTLP_PROTOCOL ||= "http/json";
  env.OTEL_SERVICE_NAME ||= packageName();
  const [{ NodeSDK }, { metrics, trace }] = await Promise.all([import("@opentelemetry/sdk-node"), import("@opentelemetry/api")]);
  const sdk = new NodeSDK();
  sdk.start();
  const scope = env.OTEL_SERVICE_NAME;
  return {
    destination: `${url.origin}${url.pathname === "/" ? "" : url.pathname}`,
    tracer: trace.getTracer(scope),
    meter: metrics.getMeter(scope),
    shutdown: () => sdk.shutdown(),
  };
}
