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
    setupRequest?: (request: { headers?: Record<string, string> }, context: Context) => object;
    onResponse?: (status: number, body: string, context: Context, headers: Record<string, string | string[]>) => void;
  }

  interface Options<Context> {
    url: string;
    connections?: number;
    duration?: number;
    /** Seconds. */
    timeout?: number;
    requests?: RequestSpec<Context>[];
  }

  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
    total: number;
  }

  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram;
  }

  function autocannon<Context>(options: Options<Context>): Promise<Result>;
  export default autocannon;
}
