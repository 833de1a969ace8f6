import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';

// The runs' fast path must answer what the Koa handlers answer: the same requests go to both
// (app.callback() has the fast path in front; Koa.prototype.callback is Koa alone) and their
// statuses, headers and bodies must be equal but for per-request ids and dates.
describe('API: the runs fast path answers as the Koa path does', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  let fast: http.RequestListener;
  let koa: http.RequestListener;
  const executor = new ScriptedExecutor();

  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig({ FRESCO_MAX_BODY_SIZE: '1024' }), { executor });
    fast = app.callback() as http.RequestListener;
    koa = Koa.prototype.callback.call(app) as http.RequestListener;
    const api = request(fast);
    await api.post('/v1/demo/apps').send({ app: { name: 'fn' } });
    await api.post('/v1/demo/apps/fn/routes').send({ route: { path: '/echo', image: 'x:1' } });
    await api.post('/v1/demo/apps/fn/routes').send({ route: { path: '/pub/echo', image: 'x:1', is_public: true,
      headers: { 'X-Powered-By': ['fresco'], 'Content-Type': ['text/x-fn'] } } });
    await api.post('/v1/demo/apps/fn/routes').send({ route: { path: '/later', image: 'x:1', type: 'async', is_public: true } });
  });
  after(async () => { await t.drop(); });

  const VARYING = /^(x-openstack-request-id|x-fresco-call-id|date|location)$/;
  function normal(res: request.Response) {
    const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VARYING.test(k)));
    const text = (res.text ?? '').replace(/req-[0-9a-f-]{36}/g, 'req-ID').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'UUID');
    return { status: res.status, headers, text, requestId: /^req-/.test(String(res.headers['x-openstack-request-id'])) };
  }

  type Send = (r: ReturnType<typeof request>) => request.Test;
  const cases: Array<[string, Send]> = [
    ['sync success on /v1/r', (r) => r.post('/v1/r/demo/fn/echo').type('text').send('hi')],
    ['function failure (502) on /v1/r', (r) => r.post('/v1/r/demo/fn/echo').type('text').send('fail')],
    ['function timeout (504) on /v1/r', (r) => r.post('/v1/r/demo/fn/echo').type('text').send('timeout')],
    ['unknown route (404) on /v1/r', (r) => r.post('/v1/r/demo/fn/nothing').send('x')],
    ['raw answer with route headers on /r', (r) => r.put('/r/fn/pub/echo?x=1').type('text').send('raw')],
    ['HEAD on /r', (r) => r.head('/r/fn/pub/echo')],
    ['private route on /r (403)', (r) => r.post('/r/fn/echo').send('x')],
    ['unknown app on /r (404)', (r) => r.get('/r/nope/echo')],
    ['body over max_body_size (413)', (r) => r.post('/r/fn/pub/echo').type('text').send('x'.repeat(2000))],
    ['async route (202)', (r) => r.post('/r/fn/later').type('text').send('a')],
    ['wrong method on /v1/r (Koa answers)', (r) => r.get('/v1/r/demo/fn/echo')],
    ['a management path under /v1/r (project "r")', (r) => r.get('/v1/r/apps')],
    ['other case spelling (Koa answers)', (r) => r.post('/R/fn/pub/echo').type('text').send('x')],
  ];
  for (const [name, send] of cases) {
    it(name, async () => {
      const a = normal(await send(request(fast)));
      const b = normal(await send(request(koa)));
      assert.deepEqual(a, b);
      assert.ok(a.requestId, 'X-Openstack-Request-Id is set');
    });
  }

  it('cancels a sync call whose caller hangs up, on both paths, and records it cancelled', async () => {
    for (const [name, listener] of [['fast path', fast], ['Koa', koa]] as const) {
      const server = http.createServer(listener);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const seen = executor.seen.length;
        const req = http.request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST',
          path: '/v1/r/demo/fn/echo', headers: { 'Content-Type': 'text/plain' } });
        req.on('error', () => undefined); // the hang-up below
        req.end('hang');
        const call = await waitFor(`the call to reach the executor (${name})`, () => executor.seen[seen]);
        assert.equal(call.signal?.aborted, false);
        req.destroy();
        await waitFor(`the call to be aborted (${name})`, () => call.signal?.aborted);
        const record = await waitFor(`the call's record (${name})`, async () =>
          (await request(fast).get(`/v1/demo/calls/${call.id}`)).body.call);
        assert.equal(record.status, 'cancelled', name);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }
  });
});
