import assert from 'node:assert/strict';
import request from 'supertest';
import type Koa from 'koa';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi } from '../../helpers/api';

describe('API: routes (Picasso v1) on PostgreSQL', () => {
  let t: TestDb;
  let app: Koa;
  const api = () => request(app.callback());
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db);
    await api().post('/v1/demo/apps').send({ app: { name: 'img' } });
    await api().post('/v1/other/apps').send({ app: { name: 'img' } });
  });
  after(() => t.drop());

  it('creates a route with the documented defaults (docs/api.md) and a path with slashes', async () => {
    const res = await api().post('/v1/demo/apps/img/routes').send({ route: { path: '/img/resize', image: 'fresco/resize:1' } });
    assert.equal(res.status, 200);
    const r = res.body.route;
    assert.deepEqual(
      [r.path, r.image, r.type, r.format, r.memory, r.timeout, r.idle_timeout, r.max_concurrency, r.min_hot, r.is_public, r.headers, r.config],
      ['/img/resize', 'fresco/resize:1', 'sync', 'default', 128, 30, 30, 1, 0, false, {}, {}],
    );
    const shown = await api().get('/v1/demo/apps/img/routes/img/resize');
    assert.equal(shown.body.route.image, 'fresco/resize:1');
    const list = await api().get('/v1/demo/apps/img/routes');
    assert.deepEqual(list.body.routes.map((x: { path: string }) => x.path), ['/img/resize']);
  });

  it('accepts what python-picassoclient sends (is_public as a string) and flat or wrapped updates', async () => {
    const body = { route: { type: 'async', path: '/pc', image: 'a/b:c', memory: 256, timeout: 60,
      max_concurrency: 2, is_public: 'true', config: { K: 'v' } } };
    const res = await api().post('/v1/demo/apps/img/routes').send(body);
    assert.equal(res.status, 200);
    assert.equal(res.body.route.is_public, true);
    assert.equal(res.body.route.type, 'async');
    const flat = await api().put('/v1/demo/apps/img/routes/pc').send({ memory: 512, is_public: 'false' });
    assert.equal(flat.body.route.memory, 512);
    assert.equal(flat.body.route.is_public, false);
    const wrapped = await api().put('/v1/demo/apps/img/routes/pc').send({ route: { format: 'http', headers: { 'X-A': ['1'] } } });
    assert.equal(wrapped.body.route.format, 'http');
    const warm = await api().put('/v1/demo/apps/img/routes/pc').send({ min_hot: 2 });
    assert.equal(warm.body.route.min_hot, 2);
    assert.deepEqual(wrapped.body.route.headers, { 'X-A': ['1'] });
  });

  it('keeps paths unique per app and the public URL unique across projects', async () => {
    await api().post('/v1/demo/apps/img/routes').send({ route: { path: '/pub', image: 'x:1', is_public: true } });
    const dup = await api().post('/v1/demo/apps/img/routes').send({ route: { path: '/pub', image: 'x:1' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'FRESCO_ROUTE_EXISTS');
    const clash = await api().post('/v1/other/apps/img/routes').send({ route: { path: '/pub', image: 'x:1', is_public: true } });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.error.code, 'FRESCO_ROUTE_PUBLIC_URL_TAKEN');
    assert.equal((await api().get('/v1/other/apps/img/routes/pub')).status, 404, 'nothing half-written');
    const priv = await api().post('/v1/other/apps/img/routes').send({ route: { path: '/pub', image: 'x:1' } });
    assert.equal(priv.status, 200);
    const flip = await api().put('/v1/other/apps/img/routes/pub').send({ is_public: true });
    assert.equal(flip.status, 409);
    assert.equal((await api().get('/v1/other/apps/img/routes/pub')).body.route.is_public, false);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['no path', { image: 'x:1' }, /route\.path:/],
    ['a relative path', { path: 'x', image: 'x:1' }, /route\.path: must start with "\/"/],
    ['a dot-dot path', { path: '/a/../b', image: 'x:1' }, /route\.path:/],
    ['a bad image', { path: '/a', image: 'UPPER CASE' }, /route\.image:/],
    ['an unknown type', { path: '/a', image: 'x:1', type: 'batch' }, /route\.type:/],
    ['an unknown format', { path: '/a', image: 'x:1', format: 'grpc' }, /route\.format:/],
    ['memory over the limit', { path: '/a', image: 'x:1', memory: 999999 }, /route\.memory: must be at most 8192/],
    ['a fractional timeout', { path: '/a', image: 'x:1', timeout: 1.5 }, /route\.timeout:/],
    ['a timeout over the maximum', { path: '/a', image: 'x:1', timeout: 301 }, /route\.timeout: must be at most 300/],
    ['idle_timeout 0', { path: '/a', image: 'x:1', idle_timeout: 0 }, /route\.idle_timeout: must be at least 1/],
    ['min_hot over [engine] max_min_hot', { path: '/a', image: 'x:1', min_hot: 9 }, /route\.min_hot: must be at most 8/],
    ['a string memory', { path: '/a', image: 'x:1', memory: '128' }, /route\.memory:/],
    ['is_public "yes"', { path: '/a', image: 'x:1', is_public: 'yes' }, /route\.is_public:/],
    ['headers not lists', { path: '/a', image: 'x:1', headers: { A: 'b' } }, /route\.headers\.A:/],
    ['an unknown field', { path: '/a', image: 'x:1', jwt_key: 's' }, /unknown field\(s\) "jwt_key"/],
  ];
  for (const [what, route, message] of bad) {
    it(`rejects ${what} with a 400 naming the field`, async () => {
      const res = await api().post('/v1/demo/apps/img/routes').send({ route });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, message);
    });
  }

  it('refuses images from registries not in [docker] allowed_registries, loopback and link-local above all', async () => {
    for (const image of ['127.0.0.1:5000/x', 'localhost:5000/x:1', '169.254.169.254/latest:1', 'registry.example.com/a/b:1']) {
      const res = await api().post('/v1/demo/apps/img/routes').send({ route: { path: '/ssrf', image } });
      assert.equal(res.status, 400, image);
      assert.equal(res.body.error.code, 'FRESCO_REQUEST_INVALID');
      assert.match(res.body.error.message, /^route\.image: registry ".+" is not allowed .*\[docker\] allowed_registries/);
    }
    assert.equal((await api().post('/v1/demo/apps/img/routes').send({ route: { path: '/ssrf', image: 'fresco-test/hello:1' } })).status, 200);
    assert.equal((await api().put('/v1/demo/apps/img/routes/ssrf').send({ image: 'docker.io/library/busybox:1' })).status, 200);
    const put = await api().put('/v1/demo/apps/img/routes/ssrf').send({ image: '127.0.0.1:5000/x' });
    assert.equal(put.status, 400);
    assert.match(put.body.error.message, /^image: .*allowed_registries/);
    assert.equal((await api().get('/v1/demo/apps/img/routes/ssrf')).body.route.image, 'docker.io/library/busybox:1');
  });

  it('rejects a path change on update and 404s on a missing app or route', async () => {
    await api().post('/v1/demo/apps/img/routes').send({ route: { path: '/stay', image: 'x:1' } });
    const moved = await api().put('/v1/demo/apps/img/routes/stay').send({ path: '/moved' });
    assert.equal(moved.status, 400);
    assert.equal((await api().get('/v1/demo/apps/nope/routes')).body.error.code, 'FRESCO_APP_NOT_FOUND');
    assert.equal((await api().post('/v1/demo/apps/nope/routes').send({ route: { path: '/a', image: 'x:1' } })).status, 404);
    assert.equal((await api().get('/v1/demo/apps/img/routes/none')).body.error.code, 'FRESCO_ROUTE_NOT_FOUND');
  });

  it('answers 409 when deleting an app with routes, and deletes it once they are gone', async () => {
    await api().post('/v1/demo/apps').send({ app: { name: 'gone' } });
    await api().post('/v1/demo/apps/gone/routes').send({ route: { path: '/r', image: 'x:1' } });
    const refused = await api().delete('/v1/demo/apps/gone');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'FRESCO_APP_HAS_ROUTES');
    assert.equal((await api().delete('/v1/demo/apps/gone/routes/r')).status, 200);
    assert.equal((await api().delete('/v1/demo/apps/gone')).status, 200);
  });
});
