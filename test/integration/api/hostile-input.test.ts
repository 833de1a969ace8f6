import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import type { ExecutorCall, CallOutcome } from '../../../src/domain/executor';

/** The scripted executor, answering with forged id headers while `forged` is set. */
class ForgingExecutor extends ScriptedExecutor {
  forged = false;
  override async run(req: ExecutorCall): Promise<CallOutcome> {
    const result = await super.run(req);
    if (!this.forged) return result;
    return { ...result, httpStatus: 200, httpHeaders: { 'x-openstack-request-id': ['fn-forged'], 'x-fresco-call-id': ['fn-forged'] } };
  }
}

// Issue 18: input PostgreSQL cannot store, or that is out of the columns' bounds, is the caller's
// fault (400 naming the field), never a 500 — on the Koa path and on the fast path alike.
describe('API: hostile input (PostgreSQL)', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const executor = new ForgingExecutor();
  const api = () => request(app.callback());
  const invalid = (res: request.Response, field: RegExp) => {
    assert.equal(res.status, 400, `${res.status} ${res.text}`);
    assert.equal(res.body.error.code, 'FRESCO_REQUEST_INVALID');
    assert.match(res.body.error.message, field);
  };
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig(), { executor });
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

  it('refuses a forged pagination marker, TRACE, and a broken compressed body with a 4xx', async () => {
    const marker = Buffer.from(`${new Date().toISOString()}|not-a-uuid`).toString('base64url');
    invalid(await api().get(`/v1/demo/calls?marker=${marker}`), /^marker: /);
    for (const url of ['/v1/demo/apps', '/r/fn/pub', '/']) {
      const res = await api().trace(url);
      assert.equal(res.status, 501, `TRACE ${url}: ${res.status}`);
      assert.equal(res.body.error.code, 'FRESCO_NOT_IMPLEMENTED');
      assert.match(res.body.error.message, /TRACE is not implemented/);
    }
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await api().post('/v1/demo/apps').set('Content-Type', 'application/json').set('Content-Encoding', encoding)
        .send('{"app": {"name": "zz"}}');
      assert.ok([400, 415].includes(res.status), `${encoding}: ${res.status} ${res.text}`);
      assert.match(res.body.error.message, new RegExp(encoding));
    }
  });

  it('refuses unknown top-level fields, "." and ".." names, and says when a string is only too long', async () => {
    invalid(await api().post('/v1/demo/apps').send({ app: { name: 'b' }, extra: 1 }), /"extra"/);
    invalid(await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/b', image: 'x:1' }, routes: [] }), /"routes"/);
    invalid(await api().put('/v1/demo/apps/fn').send({ app: {}, name: 'x' }), /"name"/);
    invalid(await api().post('/v1/demo/triggers').send({ trigger: { name: 't', type: 'swift', app: 'fn', route: '/pub' }, x: 1 }), /"x"/);
    invalid(await api().post('/v1/demo/apps').send({ app: { name: '.' } }), /app\.name: must not be "\." or "\.\."/);
    invalid(await api().post('/v1/demo/apps').send({ app: { name: '..' } }), /app\.name: /);
    invalid(await api().post('/v1/demo/triggers').send({ trigger: { name: '..', type: 'swift', app: 'fn', route: '/pub' } }), /trigger\.name: /);
    invalid(await api().post('/v1/demo/apps').send({ app: { name: 'c', config: { K: 'v'.repeat(40000) } } }),
      /app\.config\.K: must be at most 32768 characters/);
    invalid(await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/b', image: `x${'a'.repeat(1100)}:1` } }),
      /route\.image: must be at most 1024 characters/);
  });

  it('keeps X-Openstack-Request-Id and X-Fresco-Call-Id Fresco\'s own whatever the route or function sets', async () => {
    assert.equal((await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/forge', image: 'x:1', is_public: true,
      headers: { 'X-Openstack-Request-Id': ['route-forged'], 'X-Fresco-Call-Id': ['route-forged'] } } })).status, 200);
    executor.forged = true;
    try {
      const res = await api().get('/r/fn/forge');
      assert.equal(res.status, 200);
      assert.match(res.headers['x-openstack-request-id'], /^req-[0-9a-f-]{36}$/);
      assert.match(res.headers['x-fresco-call-id'], /^[0-9a-f-]{36}$/);
    } finally {
      executor.forged = false;
    }
  });
});
