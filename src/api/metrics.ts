import type { Middleware } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

interface Bound {
  observe(seconds: number): void;
}

/** A Prometheus registry with the process metrics and the API's request metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fresco_' });
  const requests = new Counter({
    name: 'fresco_http_requests_total', help: 'API requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'], registers: [registry],
  });
  const duration = new Histogram({
    name: 'fresco_http_request_duration_seconds', help: 'API request latency',
    labelNames: ['method', 'route'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  // Children bound once per label set: a request then costs two Map lookups, not label hashing.
  const bound = new Map<string, Bound>();
  /** Counts one request and its latency under the route pattern it matched. */
  const record = (method: string, route: string, status: number, seconds: number): void => {
    const key = `${method} ${route} ${status}`;
    let b = bound.get(key);
    if (!b) {
      const d = duration.labels({ method, route });
      const r = requests.labels({ method, route, status: String(status) });
      b = { observe: (s) => { d.observe(s); r.inc(); } };
      bound.set(key, b);
    }
    b.observe(seconds);
  };
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
