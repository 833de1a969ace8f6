import assert from 'node:assert/strict';
import request from 'supertest';
import type Koa from 'koa';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';

describe('API: apps (Picasso v1) on PostgreSQL', () => {
  let t: TestDb;
  let app: Koa;
  const api = () => request(app.callback());
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig({ FRESCO_MAX_BODY_SIZE: '2048' }));
  });
  after(() => t.drop());

  it('creates, lists, shows, updates and deletes an app with the Picasso wrappers', async () => {
    const created = await api().post('/v1/demo/apps').send({ app: { name: 'my-app.v1', config: { GREETING: 'hi' } } });
    assert.equal(created.status, 200);
    assert.match(created.headers['x-openstack-request-id'], /^req-[0-9a-f-]{36}$/);
    assert.equal(created.body.app.name, 'my-app.v1');
    assert.equal(created.body.app.project_id, 'demo');
    assert.deepEqual(created.body.app.config, { GREETING: 'hi' });
    assert.match(created.body.app.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof created.body.message, 'string');

    const list = await api().get('/v1/demo/apps');
    assert.deepEqual(list.body.apps.map((a: { name: string }) => a.name), ['my-app.v1']);
    assert.deepEqual((await api().get('/v1/other/apps')).body.apps, []);

    const flat = await api().put('/v1/demo/apps/my-app.v1').send({ description: 'greets', config: { A: 'b' } });
    assert.equal(flat.status, 200);
    assert.equal(flat.body.app.description, 'greets');
    const wrapped = await api().put('/v1/demo/apps/my-app.v1').send({ app: { config: {} } });
    assert.deepEqual(wrapped.body.app.config, {});

    assert.equal((await api().get('/v1/demo/apps/my-app.v1')).body.app.description, 'greets');
    assert.equal((await api().delete('/v1/demo/apps/my-app.v1')).status, 200);
    const gone = await api().get('/v1/demo/apps/my-app.v1');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'FRESCO_APP_NOT_FOUND');
    assert.match(gone.body.error.request_id, /^req-/);
  });

  it('answers 409 for a duplicate name in the same project only', async () => {
    assert.equal((await api().post('/v1/demo/apps').send({ app: { name: 'dup' } })).status, 200);
    const again = await api().post('/v1/demo/apps').send({ app: { name: 'dup' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'FRESCO_APP_EXISTS');
    assert.equal((await api().post('/v1/other/apps').send({ app: { name: 'dup' } })).status, 200);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a missing wrapper', { name: 'x' }, /^app: required/],
    ['an unknown field', { app: { name: 'x', colour: 'red' } }, /app: unknown field\(s\) "colour"/],
    ['a name with a space', { app: { name: 'a b' } }, /app\.name:/],
    ['an over-long name', { app: { name: 'a'.repeat(256) } }, /app\.name:/],
    ['a non-string name', { app: { name: 42 } }, /app\.name:/],
    ['a config that is not a map of strings', { app: { name: 'x', config: { A: 1 } } }, /app\.config\.A:/],
    ['a body that is an array', [1], /app: required/],
  ];
  for (const [what, body, message] of bad) {
    it(`rejects ${what} with a 400 naming the field`, async () => {
      const res = await api().post('/v1/demo/apps').send(body as object);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'FRESCO_REQUEST_INVALID');
      assert.match(res.body.error.message, message);
    });
  }

  it('rejects a rename', async () => {
    await api().post('/v1/demo/apps').send({ app: { name: 'fixed' } });
    const res = await api().put('/v1/demo/apps/fixed').send({ name: 'other' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /name: an app cannot be renamed/);
  });

  it('answers invalid JSON, a wrong content type and an oversized body with clear 4xx', async () => {
    const broken = await api().post('/v1/demo/apps').set('Content-Type', 'application/json').send('{"app":');
    assert.equal(broken.status, 400);
    assert.match(broken.body.error.message, /invalid JSON/);
    const form = await api().post('/v1/demo/apps').type('form').send('name=x');
    assert.equal(form.status, 415);
    const huge = await api().post('/v1/demo/apps').send({ app: { name: 'big', description: 'x'.repeat(4096) } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'FRESCO_REQUEST_TOO_LARGE');
    assert.equal((await api().get('/v1/demo/apps/big')).status, 404);
  });

  it('serves the version document, health and metrics without a token', async () => {
    const root = await api().get('/');
    assert.equal(root.body.versions[0].id, 'v1');
    assert.ok(root.headers['x-openstack-request-id']);
    assert.equal((await api().get('/healthcheck')).body.status, 'ok');
    const metrics = await api().get('/metrics');
    assert.match(metrics.text, /fresco_http_requests_total/);
    const unknown = await api().get('/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'FRESCO_NOT_FOUND');
  });
});
