/**
 * The part of autocannon 8 the soak harness uses. autocannon ships no
 * types and @types/autocannon lags its API (onResponse's headers), so we
 * declare just what we call.
 */
declare module "autocannon" {
  interface RequestSpec<Context> {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: { headers?: Record<string, string> }, context: Context) => object;
    onResponse?: (status: number, body: string, context: Context, headers: Record<string, string | string[]>) => void;
  }

  interface Options<Context> {
    url: string;
    connections?: number;
    duration?: number;
    /** Seconds. */
    timeout?: number;
    /** Requests per second over all connections. */
    overallRate?: number;
    /** Stop after this many requests in all (with `duration`, whichever comes first). */
    maxOverallRequests?: number;
    requests?: RequestSpec<Context>[];
  }

  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
    total: number;
  }

  export interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram;
  }

  /** A running load: 'response' (client, status, bytes, ms) per answer, 'reqError' per timeout or connection error. */
  interface Instance {
    on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): Instance;
    on(event: "reqError", listener: (error: Error) => void): Instance;
    stop(): void;
  }

  function autocannon<Context>(options: Options<Context>): Promise<Result>;
  function autocannon<Context>(options: Options<Context>, done: (error: Error | null, result: Result) => void): Instance;
  export default autocannon;
}
