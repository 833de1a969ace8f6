// Fresco's own cost per call, without Docker: the API (fast path, and the Koa path it bypasses)
// and a minimal node server, all in front of an executor that answers at once. On a shared
// machine this isolates what the API adds from the container round trip's noise.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { loadConfig } from '../src/config/config';
import type { ExecutorCall, CallOutcome, Executor, RunnableRoute } from '../src/domain/executor';
import { buildApi, buildServices } from '../src/main';
import { openDb } from '../src/store/db';
import type { BenchDb } from './fresco';
import { Figure, quantile, wrk } from './measure';
import { executorHandler, startTarget } from './server';

/** An executor answering "Hello Bob" at once, as the hot http test function does. */
const instant: Executor = {
  start: async () => undefined,
  stop: async () => undefined,
  retireRoutes: () => undefined,
  run: async (_req: ExecutorCall): Promise<CallOutcome> => {
    const at = new Date();
    return {
      status: 'success', kind: 'hot', exitCode: null, result: Buffer.from('Hello Bob\n'), resultTruncated: false,
      log: Buffer.alloc(0), logTruncated: false, httpStatus: 200, httpHeaders: { 'content-type': ['text/plain'] },
      startedAt: at, completedAt: at,
    };
  },
} as Executor;

function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer({ keepAlive: true }, handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  })));
}

/** Interleaved rounds of wrk c=1 on: minimal server, API /r fast path, API /r Koa path, API /v1/r fast path. */
export async function apiOverhead(db: BenchDb, seconds: number, rounds: number): Promise<Figure[]> {
  const { config } = loadConfig(undefined, { ...process.env, ...db.env, FRESCO_AUTH_STRATEGY: 'noauth' });
  const store = openDb({ connection: config.database.connection, maxPoolSize: 4 });
  const services = buildServices(store, config, { executor: instant });
  const health = async () => undefined;
  const fast = await listen(buildApi(config, services, health).callback());
  // Koa's own callback, without the fast path in front of it.
  const koa = await listen(Koa.prototype.callback.call(buildApi(config, services, health)) as http.RequestListener);
  const route: RunnableRoute = {
    projectId: 'ovh', appName: 'ovh', path: '/hot', image: 'none', format: 'http', memory: 128, timeout: 30,
    idleTimeout: 30, maxConcurrency: 1, config: {},
  };
  const minimal = await startTarget(executorHandler(instant, { hot: route }));
  try {
    const post = (url: string, body: unknown) => fetch(`${fast.url}${url}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    await post('/v1/ovh/apps', { app: { name: 'ovh' } });
    await post('/v1/ovh/apps/ovh/routes', { route: { path: '/hot', image: 'fresco-test/hot-http:1', format: 'http', is_public: true } });
    const rows: Array<[string, string]> = [
      ['instant executor behind a minimal node server', `${minimal.url}/hot`],
      ['instant executor, API /r (fast path)', `${fast.url}/r/ovh/hot`],
      ['instant executor, API /r (Koa path)', `${koa.url}/r/ovh/hot`],
      ['instant executor, API POST /v1/r (fast path)', `${fast.url}/v1/r/ovh/ovh/hot`],
    ];
    for (const [name, url] of rows) await wrk(name, url, { connections: 1, seconds: 1 });
    const got = rows.map(() => [] as Figure[]);
    // This process's CPU time per call (user + system): what the API costs, whatever the machine's load.
    const cpu = rows.map(() => ({ us: 0, calls: 0, perRound: [] as number[] }));
    for (let i = 0; i < rounds; i++) {
      for (const [j, [name, url]] of rows.entries()) {
        const before = process.cpuUsage();
        const fig = await wrk(name, url, { connections: 1, seconds });
        const used = process.cpuUsage(before);
        cpu[j].us += used.user + used.system;
        cpu[j].calls += fig.count ?? 0;
        cpu[j].perRound.push((used.user + used.system) / (fig.count ?? NaN));
        got[j].push(fig);
      }
    }
    return rows.map(([name], j) => ({
      name, p50: quantile(got[j].map((f) => f.p50), 0.5), p99: quantile(got[j].map((f) => f.p99), 0.5),
      rps: got[j].reduce((s, f) => s + f.rps, 0) / rounds,
      note: `${rounds} rounds, wrk c=1, no Docker; this process's CPU ${(cpu[j].us / cpu[j].calls).toFixed(0)} µs/call `
        + `(least in a round ${Math.min(...cpu[j].perRound).toFixed(0)})`,
    }));
  } finally {
    await Promise.all([fast.close(), koa.close(), minimal.close()]);
    await services.callStore.close();
    await store.destroy();
  }
}
