import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { createMetrics } from '../../../src/api/metrics';

// The request metrics are counted without prom-client's per-request label hashing; what a scrape
// shows must stay exactly what prom-client's own Counter and Histogram showed.
describe('API request metrics', () => {
  it('expose exactly what prom-client\'s Counter and Histogram would, for the same requests', async () => {
    const ours = createMetrics();
    const reference = new Registry();
    const requests = new Counter({
      name: 'fresco_http_requests_total', help: 'API requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'], registers: [reference],
    });
    const duration = new Histogram({
      name: 'fresco_http_request_duration_seconds', help: 'API request latency',
      labelNames: ['method', 'route'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [reference],
    });
    const seen: Array<[string, string, number, number]> = [
      ['POST', '/r/:app/*route', 200, 0.0003], ['POST', '/r/:app/*route', 200, 0.001], ['POST', '/r/:app/*route', 502, 0.02],
      ['GET', '/v1/:project_id/apps', 200, 0.0049], ['POST', '/r/:app/*route', 200, 45], ['GET', 'unmatched', 404, 0.0005],
    ];
    for (const [method, route, status, s] of seen) {
      ours.record(method, route, status, s);
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, s);
    }
    const text = await ours.registry.metrics();
    const only = (t: string) => t.split('\n\n').filter((block) => /fresco_http_request/.test(block)).join('\n\n').trim();
    assert.equal(only(text), only(await reference.metrics()));
    assert.match(text, /fresco_http_request_duration_seconds_bucket\{le="0\.0005",method="POST",route="\/r\/:app\/\*route"\} 1/);
  });
});
