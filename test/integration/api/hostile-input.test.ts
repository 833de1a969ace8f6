import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';

// Issue 18: input PostgreSQL cannot store, or that is out of the columns' bounds, is the caller's
// fault (400 naming the field), never a 500 — on the Koa path and on the fast path alike.
describe('API: hostile input (PostgreSQL)', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  const invalid = (res: request.Response, field: RegExp) => {
    assert.equal(res.status, 400, `${res.status} ${res.text}`);
    assert.equal(res.body.error.code, 'FRESCO_REQUEST_INVALID');
    assert.match(res.body.error.message, field);
  };
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig(), { executor: new ScriptedExecutor() });
    assert.equal((await api().post('/v1/demo/apps').send({ app: { name: 'fn' } })).status, 200);
    assert.equal((await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/pub', image: 'x:1', is_public: true } })).status, 200);
  });
  after(async () => { await t.drop(); });

  it('refuses a NUL or a lone surrogate in any body string with a 400 naming the field', async () => {
    invalid(await api().post('/v1/demo/apps').send({ app: { name: 'a', description: 'x\u0000y' } }), /^app\.description: .*NUL/);
    invalid(await api().post('/v1/demo/apps').send({ app: { name: 'a', config: { K: 'v\u0000' } } }), /^app\.config\.K: /);
    invalid(await api().post('/v1/demo/apps').send({ app: { name: 'a', config: { 'K\u0000': 'v' } } }), /^app\.config\.K/);
    invalid(await api().put('/v1/demo/apps/fn').send({ app: { description: 'lone \ud800 surrogate' } }), /app\.description: .*surrogate/);
    invalid(await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/h', image: 'x:1', headers: { 'X-A': ['v\u0000'] } } }),
      /^route\.headers\.X-A\.0: /);
    invalid(await api().post('/v1/demo/triggers').send({ trigger: { name: 't', type: 'notification', app: 'fn', route: '/pub',
      filter: { event_type: 'a\u0000' } } }), /trigger\.filter\.event_type: /);
    invalid(await api().get('/v1/demo/calls?app=%00'), /^app: /);
  });

  it('refuses %00 and over-long values in path parameters, with or without a token', async () => {
    invalid(await api().get('/v1/demo/apps/%00'), /^app: .*NUL/);
    invalid(await api().put('/v1/demo/apps/fn/routes/%00').send({}), /^(app|route): /);
    invalid(await api().get('/v1/%00/apps'), /^project_id: /);
    invalid(await api().post('/r/%00/x').send('x'), /^app: /);
    invalid(await api().post('/r/fn/a%00b').send('x'), /^route: /);
    invalid(await api().post('/v1/r/demo/%00/x').send('x'), /^app: /);
    invalid(await api().get('/v1/demo/calls/%00'), /^id: /);
    const long = 'p'.repeat(65);
    invalid(await api().post(`/v1/${long}/apps`).send({ app: { name: 'a' } }), /^project_id: must be at most 64 characters/);
    invalid(await api().post(`/v1/r/${long}/fn/pub`).send('x'), /^project_id: must be at most 64/);
    assert.equal((await api().get(`/v1/${'p'.repeat(64)}/apps`)).status, 200);
  });
});
