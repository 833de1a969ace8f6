import type { Middleware } from 'koa';
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];

/** One (method, route) pair's latency histogram, in plain numbers. */
interface Latency {
  labels: { method: string; route: string };
  /** Requests per bucket (not cumulative); the last one is above every bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/** One (method, route, status) label set's request count, and its pair's histogram. */
interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  latency: Latency;
}

/**
 * The API's request metrics, fresco_http_requests_total and fresco_http_request_duration_seconds,
 * counted in plain numbers per label set (a request costs one Map lookup and a few additions, where
 * prom-client's observe() and inc() hash their labels each time) and handed to the registry as
 * prom-client's own Counter and Histogram show them.
 */
class RequestMetrics {
  private readonly series = new Map<string, Series>();
  private readonly latencies = new Map<string, Latency>();

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let s = this.series.get(key);
    if (!s) {
      const pair = `${method} ${route}`;
      let latency = this.latencies.get(pair);
      if (!latency) {
        latency = { labels: { method, route }, buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
        this.latencies.set(pair, latency);
      }
      s = { labels: { method, route, status: String(status) }, count: 0, latency };
      this.series.set(key, s);
    }
    s.count++;
    const l = s.latency;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]) i++;
    l.buckets[i]++;
    l.sum += seconds;
    l.count++;
  }

  /** The two metrics, for Registry.registerMetric. */
  metrics(): Metric[] {
    const reset = () => {
      this.series.clear();
      this.latencies.clear();
    };
    const counter = {
      name: 'fresco_http_requests_total', help: 'API requests by method, route pattern and status', type: 'counter',
      aggregator: 'sum', reset,
      get: async () => ({
        name: counter.name, help: counter.help, type: counter.type, aggregator: counter.aggregator,
        values: [...this.series.values()].map((s) => ({ value: s.count, labels: s.labels })),
      }),
    };
    const histogram = {
      name: 'fresco_http_request_duration_seconds', help: 'API request latency', type: 'histogram', aggregator: 'sum', reset,
      get: async () => ({
        name: histogram.name, help: histogram.help, type: histogram.type, aggregator: histogram.aggregator,
        values: [...this.latencies.values()].flatMap(({ labels, buckets, sum, count }) => {
          let acc = 0;
          const bucket = `${histogram.name}_bucket`;
          return [
            ...BUCKETS.map((le, i) => ({ labels: { le }, sharedLabels: labels, value: (acc += buckets[i]), metricName: bucket })),
            { labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: bucket },
            { labels: {}, sharedLabels: labels, value: sum, metricName: `${histogram.name}_sum` },
            { labels: {}, sharedLabels: labels, value: count, metricName: `${histogram.name}_count` },
          ];
        }),
      }),
    };
    return [counter, histogram] as unknown as Metric[];
  }
}

/** A Prometheus registry with the process metrics and the API's request metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fresco_' });
  const requests = new RequestMetrics();
  for (const m of requests.metrics()) registry.registerMetric(m);
  /** Counts one request and its latency under the route pattern it matched. */
  const record = (method: string, route: string, status: number, seconds: number): void => requests.record(method, route, status, seconds);
  const middleware: Middleware = async (ctx, next) => {
    const began = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      record(ctx.method, route, ctx.status, Number(process.hrtime.bigint() - began) / 1e9);
    }
  };
  return { registry, middleware, record };
}

export type Metrics = ReturnType<typeof createMetrics>;
