import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createDockerExecutor } from '../../../src/executor';
import type { Executor } from '../../../src/domain/executor';
import { buildTestApi, testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildImages } from '../executor/fixtures';
import { issueToken, keystone, OsEnv } from '../auth/keystone-env';

/** "METHOD /path" of the request a supertest response answers (supertest does not type `req`). */
function requestLine(res: unknown): string {
  const { req } = res as { req: { method: string; path: string } };
  return `${req.method} ${req.path}`;
}

// Fresco's whole API with auth_strategy = keystone against the real Keystone and real Docker:
// project other (alt) can neither see, change nor run anything of project demo, on any verb of
// any resource; the reader of demo reads only; admin reaches every project.

describe('tenant isolation through the API (real Keystone, real Docker)', function () {
  this.timeout(60_000);
  let env: OsEnv;
  let t: TestDb;
  let executor: Executor;
  let app: ReturnType<typeof buildTestApi>;
  const tok: Record<string, string> = {};
  let demo: string;
  let other: string;
  let demoCall: string;
  let demoTrigger: string;
  let appName: string;
  const as = (who: string) => ({
    get: (url: string) => request(app.callback()).get(url).set('X-Auth-Token', tok[who]),
    post: (url: string) => request(app.callback()).post(url).set('X-Auth-Token', tok[who]),
    put: (url: string) => request(app.callback()).put(url).set('X-Auth-Token', tok[who]),
    delete: (url: string) => request(app.callback()).delete(url).set('X-Auth-Token', tok[who]),
  });

  before(async function () {
    this.timeout(600_000);
    env = await keystone();
    demo = env.OS_DEMO_PROJECT_ID;
    other = env.OS_ALT_PROJECT_ID;
    for (const who of ['DEMO', 'ALT', 'READER', 'ADMIN']) tok[who] = await issueToken(env, who);
    buildImages();
    t = await createTestDb();
    executor = createDockerExecutor({ engineId: `test-iso-${randomUUID().slice(0, 8)}`, prestartPerRoute: 0 });
    await executor.start();
    app = buildTestApi(t.db, testConfig({
      FRESCO_KEYSTONE_AUTH_URL: env.OS_AUTH_URL, FRESCO_KEYSTONE_USERNAME: env.OS_SERVICE_USERNAME,
      FRESCO_KEYSTONE_PASSWORD: env.OS_SERVICE_PASSWORD, FRESCO_KEYSTONE_PROJECT_NAME: env.OS_SERVICE_PROJECT_NAME,
    }), { executor });
    // Demo's things: a private and a public route, a call with a log, a trigger.
    appName = `iso-${randomUUID().slice(0, 6)}`;
    assert.equal((await as('DEMO').post(`/v1/${demo}/apps`).send({ app: { name: appName } })).status, 200);
    for (const [path, isPublic] of [['/private', false], ['/public', true]] as const) {
      const res = await as('DEMO').post(`/v1/${demo}/apps/${appName}/routes`)
        .send({ route: { path, image: 'fresco-test/hello:1', is_public: isPublic } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const run = await as('DEMO').post(`/v1/r/${demo}/${appName}/private`).type('text').send('Demo');
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.result, 'Hello Demo\n');
    demoCall = run.body.call_id;
    const trig = await as('DEMO').post(`/v1/${demo}/triggers`).send({ trigger: {
      name: 'nightly', type: 'schedule', app: appName, route: '/private', schedule: '0 3 * * *' } });
    assert.equal(trig.status, 201, JSON.stringify(trig.body));
    demoTrigger = trig.body.trigger.id;
  });
  after(async () => {
    await executor?.stop();
    await t?.drop();
  });

  it("gives alt 403 on every verb of demo's apps, routes, runs, calls and triggers, and changes nothing", async () => {
    const a = appName;
    const attempts = [
      as('ALT').get(`/v1/${demo}/apps`),
      as('ALT').get(`/v1/${demo}/apps/${a}`),
      as('ALT').post(`/v1/${demo}/apps`).send({ app: { name: 'intruder' } }),
      as('ALT').put(`/v1/${demo}/apps/${a}`).send({ app: { config: { X: '1' } } }),
      as('ALT').delete(`/v1/${demo}/apps/${a}`),
      as('ALT').get(`/v1/${demo}/apps/${a}/routes`),
      as('ALT').get(`/v1/${demo}/apps/${a}/routes/private`),
      as('ALT').post(`/v1/${demo}/apps/${a}/routes`).send({ route: { path: '/x', image: 'fresco-test/hello:1' } }),
      as('ALT').put(`/v1/${demo}/apps/${a}/routes/private`).send({ route: { memory: 256 } }),
      as('ALT').delete(`/v1/${demo}/apps/${a}/routes/private`),
      as('ALT').post(`/v1/r/${demo}/${a}/private`).send('x'),
      as('ALT').post(`/v1/r/${demo}/${a}/public`).send('x'),
      as('ALT').get(`/v1/${demo}/calls`),
      as('ALT').get(`/v1/${demo}/calls/${demoCall}`),
      as('ALT').get(`/v1/${demo}/calls/${demoCall}/log`),
      as('ALT').delete(`/v1/${demo}/calls/${demoCall}`),
      as('ALT').get(`/v1/${demo}/triggers`),
      as('ALT').get(`/v1/${demo}/triggers/${demoTrigger}`),
      as('ALT').put(`/v1/${demo}/triggers/${demoTrigger}`).send({ trigger: { enabled: false } }),
      as('ALT').delete(`/v1/${demo}/triggers/${demoTrigger}`),
    ];
    for (const req of attempts) {
      const res = await req;
      assert.equal(res.status, 403, `${requestLine(res)}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'FRESCO_PROJECT_FORBIDDEN');
    }
    const after = await as('DEMO').get(`/v1/${demo}/apps/${a}/routes`);
    assert.deepEqual(after.body.routes.map((r: { path: string }) => r.path).sort(), ['/private', '/public']);
    assert.equal((await as('DEMO').get(`/v1/${demo}/triggers/${demoTrigger}`)).body.trigger.enabled, true);
    assert.equal((await as('DEMO').get(`/v1/${demo}/apps`)).body.apps.length, 1);
  });

  it("does not show demo's things to alt in its own project's lists or by id", async () => {
    assert.deepEqual((await as('ALT').get(`/v1/${other}/apps`)).body.apps, []);
    assert.deepEqual((await as('ALT').get(`/v1/${other}/calls`)).body.calls, []);
    assert.deepEqual((await as('ALT').get(`/v1/${other}/triggers`)).body.triggers, []);
    assert.equal((await as('ALT').get(`/v1/${other}/calls/${demoCall}`)).status, 404);
    assert.equal((await as('ALT').get(`/v1/${other}/calls/${demoCall}/log`)).status, 404);
    assert.equal((await as('ALT').get(`/v1/${other}/triggers/${demoTrigger}`)).status, 404);
    assert.equal((await as('ALT').post(`/v1/r/${other}/${appName}/private`).send('x')).status, 404);
  });

  it('runs a public route on /r for anyone, never a private one, and keeps public names unique across projects', async () => {
    const a = appName;
    const pub = await request(app.callback()).post(`/r/${a}/public`).type('text').send('World');
    assert.equal(pub.status, 200);
    assert.equal(pub.text, 'Hello World\n');
    for (const method of ['get', 'post', 'put', 'delete'] as const) {
      const res = await request(app.callback())[method](`/r/${a}/private`).set('X-Auth-Token', tok.ALT);
      assert.equal(res.status, 403, method);
      assert.equal(res.body.error.code, 'FRESCO_ROUTE_PRIVATE');
    }
    // alt's app of the same name may exist, but not claim the same public /r URL.
    assert.equal((await as('ALT').post(`/v1/${other}/apps`).send({ app: { name: a } })).status, 200);
    const clash = await as('ALT').post(`/v1/${other}/apps/${a}/routes`)
      .send({ route: { path: '/public', image: 'fresco-test/hello:1', is_public: true } });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.error.code, 'FRESCO_ROUTE_PUBLIC_URL_TAKEN');
    const stillDemo = await request(app.callback()).post(`/r/${a}/public`).type('text').send('again');
    assert.equal(stillDemo.text, 'Hello again\n');
    assert.equal((await as('ALT').delete(`/v1/${other}/apps/${a}`)).status, 200);
  });

  it("lets demo's reader read but not write, run or cancel", async () => {
    const a = appName;
    assert.equal((await as('READER').get(`/v1/${demo}/apps/${a}/routes/private`)).status, 200);
    assert.equal((await as('READER').get(`/v1/${demo}/calls/${demoCall}/log`)).status, 200);
    const denied = [
      as('READER').post(`/v1/${demo}/apps`).send({ app: { name: 'reader-app' } }),
      as('READER').put(`/v1/${demo}/apps/${a}/routes/private`).send({ route: { memory: 256 } }),
      as('READER').post(`/v1/r/${demo}/${a}/private`).send('x'),
      as('READER').delete(`/v1/${demo}/calls/${demoCall}`),
      as('READER').delete(`/v1/${demo}/triggers/${demoTrigger}`),
    ];
    for (const req of denied) {
      const res = await req;
      assert.equal(res.status, 403, `${requestLine(res)}`);
      assert.equal(res.body.error.code, 'FRESCO_POLICY_FORBIDDEN');
    }
  });

  it("lets admin read and run in demo's project", async () => {
    assert.equal((await as('ADMIN').get(`/v1/${demo}/apps/${appName}`)).status, 200);
    const run = await as('ADMIN').post(`/v1/r/${demo}/${appName}/private`).type('text').send('Admin');
    assert.equal(run.body.result, 'Hello Admin\n');
  });

  it('answers 401 with WWW-Authenticate to a request without a valid token', async () => {
    for (const token of [undefined, 'garbage']) {
      const req = request(app.callback()).get(`/v1/${demo}/apps`);
      const res = await (token ? req.set('X-Auth-Token', token) : req);
      assert.equal(res.status, 401);
      assert.match(res.headers['www-authenticate'], /^Keystone uri="/);
    }
  });
});
