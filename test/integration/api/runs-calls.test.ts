import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';
import { Lifecycle } from '../../../src/lifecycle';
import { startEngine } from '../../../src/main';

describe('API: runs and call records (PostgreSQL, in-process queue)', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const engine = new Lifecycle();
  const executor = new ScriptedExecutor();
  const api = () => request(app.callback());
  before(async () => {
    t = await createTestDb();
    const config = testConfig({ FRESCO_PUBLIC_URL: 'http://fresco.example:8080', FRESCO_CREDENTIAL_HEADERS: 'X-Api-Key' });
    app = buildTestApi(t.db, config, { executor });
    startEngine(config, app.services, engine); // as `fresco all` runs it: sweeper and in-process dispatcher
    await api().post('/v1/demo/apps').send({ app: { name: 'fn', config: { APP_LEVEL: 'a', SHARED: 'app' } } });
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/echo', image: 'x:1', config: { SHARED: 'route' } } });
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/pub/echo', image: 'x:1', is_public: true,
      headers: { 'X-Powered-By': ['fresco'] } } });
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/later', image: 'x:1', type: 'async' } });
  });
  after(async () => {
    await engine.close();
    await t.drop();
  });

  it('runs a sync route on /v1/r with the Picasso answer and records the call', async () => {
    const res = await api().post('/v1/r/demo/fn/echo').set('X-Auth-Token', 'secret-token').set('X-Custom', 'v')
      .set('Content-Type', 'text/plain').send('hi');
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'echo:hi');
    assert.match(res.body.call_id, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-fresco-call-id'], res.body.call_id);
    const seen = executor.seen.at(-1)!;
    assert.equal(seen.headers['x-custom'], 'v');
    assert.equal(seen.headers['x-auth-token'], undefined, 'tokens never reach the function');
    assert.deepEqual(seen.route.config, { APP_LEVEL: 'a', SHARED: 'route' }, 'route config wins over app config');
    const call = (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
    assert.equal(call.status, 'success');
    assert.equal(call.trigger, 'http');
    assert.equal(call.cold, true);
    assert.equal(call.result, 'echo:hi');
    assert.equal(call.exit_code, 0);
    const log = await api().get(`/v1/demo/calls/${res.body.call_id}/log`);
    assert.equal(log.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(log.text, `log of ${res.body.call_id}\n`);
    assert.equal((await api().get(`/v1/other/calls/${res.body.call_id}`)).status, 404, 'not visible to another project');
  });

  it('never passes a credential header (nor a configured one) to the function, on /v1/r nor on /r', async () => {
    const creds = { 'X-Api-Key': 'k', 'X-Storage-Token': 's', 'X-Subject-Token': 's', 'X-Service-Token': 's', Authorization: 'Basic eA==', Cookie: 'a=b' };
    for (const [method, url] of [['post', '/v1/r/demo/fn/echo'], ['post', '/r/fn/pub/echo']] as const) {
      const res = await api()[method](url).set(creds).set('X-Kept', 'k').type('text').send('c');
      assert.equal(res.status, 200, url);
      const seen = executor.seen.at(-1)!;
      assert.equal(seen.headers['x-kept'], 'k');
      for (const name of Object.keys(creds)) assert.equal(seen.headers[name.toLowerCase()], undefined, `${name} on ${url}`);
    }
  });

  it('answers a failing function with 502 and a timeout with 504, keeping the call id', async () => {
    const failed = await api().post('/v1/r/demo/fn/echo').type('text').send('fail');
    assert.equal(failed.status, 502);
    assert.equal(failed.body.error.code, 'FRESCO_CALL_FAILED');
    assert.match(failed.body.error.message, /exit code 3/);
    assert.equal((await api().get(`/v1/demo/calls/${failed.body.call_id}`)).body.call.status, 'error');
    const slow = await api().post('/v1/r/demo/fn/echo').type('text').send('timeout');
    assert.equal(slow.status, 504);
    assert.equal((await api().get(`/v1/demo/calls/${slow.body.call_id}`)).body.call.status, 'timeout');
  });

  it('runs public routes on /r with the raw output and route headers; private ones are 403, unknown 404', async () => {
    const pub = await api().put('/r/fn/pub/echo?x=1').type('text').send('raw');
    assert.equal(pub.status, 200);
    assert.equal(pub.text, 'echo:raw');
    assert.equal(pub.headers['x-powered-by'], 'fresco');
    assert.equal(executor.seen.at(-1)!.method, 'PUT');
    assert.equal(executor.seen.at(-1)!.requestPath, '/r/fn/pub/echo?x=1');
    const priv = await api().post('/r/fn/echo').send('x');
    assert.equal(priv.status, 403);
    assert.equal(priv.body.error.code, 'FRESCO_ROUTE_PRIVATE');
    assert.equal((await api().get('/r/fn/nothing')).status, 404);
    assert.equal((await api().get('/r/nope/echo')).status, 404);
  });

  it('accepts an async call with 202 and a Location, then the engine runs it to success', async () => {
    const res = await api().post('/v1/r/demo/fn/later').type('text').send('async-body');
    assert.equal(res.status, 202);
    assert.equal(res.headers.location, `http://fresco.example:8080/v1/demo/calls/${res.body.call_id}`);
    const call = await waitFor('the async call to finish', async () => {
      const c = (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
      return c.status === 'success' && c;
    });
    assert.equal(call.result, 'echo:async-body');
    assert.equal(call.trigger, 'async');
    assert.ok(call.started_at && call.completed_at && call.duration_ms >= 0);
  });

  it('cancels a running async call (killed) and leaves finished ones alone', async () => {
    const res = await api().post('/v1/r/demo/fn/later').type('text').send('hang');
    await waitFor('the call to run', async () =>
      (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call.status === 'running');
    const cancelled = await api().delete(`/v1/demo/calls/${res.body.call_id}`);
    assert.equal(cancelled.body.call.status, 'cancelled');
    await waitFor('the async runner to free its slot', () => app.services.asyncRunner!.free === app.services.asyncRunner!.concurrency);
    assert.equal((await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call.status, 'cancelled');
    const done = (await api().get('/v1/demo/calls?status=success&limit=1')).body.calls[0];
    assert.equal((await api().delete(`/v1/demo/calls/${done.id}`)).body.call.status, 'success');
  });

  it('shows a slow sync call as running and cancels it through the calls API; the caller gets 499', async () => {
    const pending = api().post('/v1/r/demo/fn/echo').type('text').send('hang').then((r) => r);
    const running = await waitFor('the slow sync call to be listed as running', async () =>
      (await api().get('/v1/demo/calls?status=running&route=/echo')).body.calls[0]);
    assert.equal(running.trigger, 'http');
    assert.ok(running.started_at);
    assert.equal((await api().delete(`/v1/demo/calls/${running.id}`)).body.call.status, 'cancelled');
    const answer = await pending;
    assert.equal(answer.status, 499, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'FRESCO_CALL_CANCELLED');
    assert.equal(answer.body.call_id, running.id);
    const call = (await api().get(`/v1/demo/calls/${running.id}`)).body.call;
    assert.equal(call.status, 'cancelled');
  });

  it('marks a slow sync call error, never re-runs it, when the process running it stopped renewing its lease', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await app.services.callStore.recordRunning(id, { projectId: 'demo', app: 'fn', route: '/echo', trigger: 'http' },
      'gone-api', new Date(), 60_000);
    await t.db('calls').where({ id }).update({ lease_until: t.db.raw("now() - interval '1 second'") });
    assert.deepEqual(await app.services.callStore.requeueExpired(3), []);
    const call = (await api().get(`/v1/demo/calls/${id}`)).body.call;
    assert.equal(call.status, 'error');
    assert.match(call.error, /sync call stopped answering/);
  });

  it('lists calls newest first with filters and pagination', async () => {
    // Records are ordered by their millisecond, then id: each call starts in a later millisecond than the one before.
    for (let i = 0; i < 5; i++) {
      await api().post('/v1/r/demo/fn/echo').type('text').send(`n${i}`);
      const answeredAt = Date.now();
      await waitFor('the clock to pass the last call', () => Date.now() > answeredAt);
    }
    const page1 = await api().get('/v1/demo/calls?route=/echo&status=success&limit=3');
    assert.equal(page1.body.calls.length, 3);
    assert.equal(page1.body.calls[0].result, 'echo:n4');
    const page2 = await api().get(`/v1/demo/calls?route=/echo&status=success&limit=3&marker=${page1.body.next}`);
    assert.deepEqual(page2.body.calls.map((c: { result: string }) => c.result).slice(0, 2), ['echo:n1', 'echo:n0']);
    const bad = await api().get('/v1/demo/calls?status=weird');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /status:/);
    assert.equal((await api().get('/v1/demo/calls?limit=0')).status, 400);
    assert.equal((await api().get('/v1/demo/calls?marker=zzz')).status, 400);
    assert.equal((await api().get('/v1/demo/calls/not-a-uuid')).status, 404);
  });
});
