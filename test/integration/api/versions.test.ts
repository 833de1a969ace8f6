import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';
import { Lifecycle } from '../../../src/lifecycle';
import { startEngine } from '../../../src/main';

describe('API: route versions and aliases (PostgreSQL)', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const engine = new Lifecycle();
  const executor = new ScriptedExecutor();
  const api = () => request(app.callback());
  const R = '/v1/demo/apps/fn/routes/img/resize';
  const put = (fields: Record<string, unknown>) => api().put(R).send({ route: fields });
  const publish = async (description?: string) => {
    const res = await api().post(`${R}/@versions`).send(description === undefined ? {} : { version: { description } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.version as { number: number; image: string; config: Record<string, string>; memory: number };
  };

  before(async () => {
    t = await createTestDb();
    const config = testConfig();
    app = buildTestApi(t.db, config, { executor });
    startEngine(config, app.services, engine);
    await api().post('/v1/demo/apps').send({ app: { name: 'fn', config: { FROM_APP: 'a1' } } });
    const created = await api().post('/v1/demo/apps/fn/routes').send({
      route: { path: '/img/resize', image: 'resize:1', is_public: true, memory: 128, config: { LEVEL: 'one' } },
    });
    assert.equal(created.status, 200);
  });
  after(async () => {
    await engine.close();
    await t.drop();
  });

  it('publishes versions 1, 2, 3 that freeze image, config (with the app\'s) and memory', async () => {
    const v1 = await publish('first');
    assert.equal(v1.number, 1);
    assert.equal(v1.image, 'resize:1');
    assert.deepEqual(v1.config, { FROM_APP: 'a1', LEVEL: 'one' });
    assert.equal((await put({ image: 'resize:2', memory: 256, config: { LEVEL: 'two' } })).status, 200);
    const v2 = await publish();
    assert.deepEqual([v2.number, v2.image, v2.memory, v2.config.LEVEL], [2, 'resize:2', 256, 'two']);
    assert.equal((await put({ image: 'resize:3', config: { LEVEL: 'three' } })).status, 200);
    const list = await api().get(`${R}/@versions`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.versions.map((v: { number: number; description: string }) => [v.number, v.description]), [[1, 'first'], [2, '']]);
    const shown = await api().get(`${R}/@versions/1`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.version.image, 'resize:1', 'a version does not follow later route changes');
    assert.equal((await api().get(`${R}/@versions/9`)).body.error.code, 'FRESCO_ROUTE_VERSION_NOT_FOUND');
    assert.equal((await api().get(`${R}/@versions/x`)).status, 400);
    // The route itself is unchanged by publishing, and its path cannot be confused with the versions.
    assert.equal((await api().get(R)).body.route.image, 'resize:3');
  });

  it('runs the version a Fresco-Version header names on /v1/r and /r, and records it on the call', async () => {
    for (const [url, headers] of [[`/v1/r/demo/fn/img/resize`, {}], ['/r/fn/img/resize', {}]] as const) {
      const res = await api().post(url).set(headers).set('Fresco-Version', '1').type('text').send('v');
      assert.equal(res.status, 200, url);
      const seen = executor.seen.at(-1)!;
      assert.equal(seen.route.image, 'resize:1', url);
      assert.equal(seen.route.config.LEVEL, 'one');
      assert.equal(seen.route.routeVersion, 1);
      const callId = res.headers['x-fresco-call-id'] ?? res.body.call_id;
      await waitFor('call recorded', async () => (await api().get(`/v1/demo/calls/${callId}`)).status === 200);
      assert.equal((await api().get(`/v1/demo/calls/${callId}`)).body.call.route_version, 1, url);
    }
    const plain = await api().post('/v1/r/demo/fn/img/resize').type('text').send('v');
    assert.equal(executor.seen.at(-1)!.route.image, 'resize:3', 'no header: the route as it is now');
    assert.equal(executor.seen.at(-1)!.route.routeVersion, undefined);
    assert.equal((await api().get(`/v1/demo/calls/${plain.body.call_id}`)).body.call.route_version, null);
    const missing = await api().post('/v1/r/demo/fn/img/resize').set('Fresco-Version', '7').send('v');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'FRESCO_ROUTE_VERSION_NOT_FOUND');
    const both = await api().post('/v1/r/demo/fn/img/resize').set('Fresco-Version', '1').set('Fresco-Alias', 'a').send('v');
    assert.equal(both.status, 400);
  });

  it('follows an alias when it moves; a version an alias points at cannot be deleted (409)', async () => {
    const created = await api().post(`${R}/@aliases`).send({ alias: { name: 'prod', version: 1, description: 'live' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.alias.name, created.body.alias.version], ['prod', 1]);
    assert.equal((await api().post(`${R}/@aliases`).send({ alias: { name: 'prod', version: 2 } })).body.error.code, 'FRESCO_ROUTE_ALIAS_EXISTS');
    assert.equal((await api().post(`${R}/@aliases`).send({ alias: { name: 'next', version: 8 } })).body.error.code, 'FRESCO_ROUTE_VERSION_NOT_FOUND');
    const run = async () => {
      const res = await api().post('/v1/r/demo/fn/img/resize').set('Fresco-Alias', 'prod').type('text').send('a');
      assert.equal(res.status, 200);
      return { image: executor.seen.at(-1)!.route.image, call: (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call };
    };
    let ran = await run();
    assert.deepEqual([ran.image, ran.call.route_version], ['resize:1', 1]);
    const moved = await api().patch(`${R}/@aliases/prod`).send({ alias: { version: 2 } });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.alias.version, 2);
    assert.equal(moved.body.alias.description, 'live');
    ran = await run();
    assert.deepEqual([ran.image, ran.call.route_version], ['resize:2', 2], 'the alias moved: calls follow it');
    const inUse = await api().delete(`${R}/@versions/2`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'FRESCO_ROUTE_VERSION_IN_USE');
    assert.match(inUse.body.error.message, /"prod"/);
    // Version 0: the route as it is now.
    assert.equal((await api().patch(`${R}/@aliases/prod`).send({ version: 0 })).status, 200);
    ran = await run();
    assert.deepEqual([ran.image, ran.call.route_version], ['resize:3', null]);
    assert.equal((await api().delete(`${R}/@versions/2`)).status, 200);
    assert.equal((await api().get(`${R}/@versions/2`)).status, 404);
    assert.equal((await publish()).number, 3, 'numbers are never reused');
    assert.deepEqual((await api().get(`${R}/@aliases`)).body.aliases.map((a: { name: string }) => a.name), ['prod']);
    assert.equal((await api().get(`${R}/@aliases/prod`)).body.alias.version, 0);
    assert.equal((await api().delete(`${R}/@aliases/prod`)).status, 200);
    assert.equal((await api().get(`${R}/@aliases/prod`)).body.error.code, 'FRESCO_ROUTE_ALIAS_NOT_FOUND');
    const gone = await api().post('/v1/r/demo/fn/img/resize').set('Fresco-Alias', 'prod').send('a');
    assert.equal(gone.body.error.code, 'FRESCO_ROUTE_ALIAS_NOT_FOUND');
  });

  it('runs an async call on the version it was accepted for', async () => {
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/later', image: 'later:1', type: 'async' } });
    const v = await api().post('/v1/demo/apps/fn/routes/later/@versions').send();
    assert.equal(v.status, 201);
    await api().put('/v1/demo/apps/fn/routes/later').send({ image: 'later:2' });
    const res = await api().post('/v1/r/demo/fn/later').set('Fresco-Version', '1').type('text').send('x');
    assert.equal(res.status, 202);
    await waitFor('async call done', async () => (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call.status === 'success');
    const call = (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
    assert.equal(call.route_version, 1);
    assert.equal(executor.seen.find((s) => s.id === res.body.call_id)!.route.image, 'later:1');
  });

  it('keeps a version\'s code package while the version lives, and frees it with the version or the route', async () => {
    const reg = await api().post('/v1/runtimes').send({ runtime: { name: 'py-ver', image: 'runtime:1' } });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const code = (text: string) => ({ name: 'hello.py', data: Buffer.from(text).toString('base64') });
    const created = await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/code', runtime: 'py-ver', entry: 'hello.main', code: code('one') } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const packages = async () => Number((await t.db('code_packages').count({ n: '*' }))[0].n);
    const before = await packages();
    assert.equal((await api().post('/v1/demo/apps/fn/routes/code/@versions').send()).status, 201);
    await api().put('/v1/demo/apps/fn/routes/code').send({ code: code('two') });
    assert.equal(await packages(), before + 1, 'version 1 keeps the first package');
    assert.equal((await api().post('/v1/r/demo/fn/code').set('Fresco-Version', '1').send('x')).status, 200);
    assert.equal(executor.seen.at(-1)!.route.code?.digest, (await api().get('/v1/demo/apps/fn/routes/code/@versions/1')).body.version.code.digest);
    assert.equal((await api().delete('/v1/demo/apps/fn/routes/code/@versions/1')).status, 200);
    assert.equal(await packages(), before, 'the deleted version\'s package is freed');
    assert.equal((await api().post('/v1/demo/apps/fn/routes/code/@versions').send()).status, 201);
    assert.equal((await api().delete('/v1/demo/apps/fn/routes/code')).status, 200);
    assert.equal(await packages(), before - 1, 'the route and its versions went, and their package');
  });

  it('runs the version or the alias a trigger names, the alias looked up at each firing; what a trigger runs cannot be deleted', async () => {
    const T = '/v1/demo/apps/fn/routes/tr';
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/tr', image: 'tr:1' } });
    for (const image of ['tr:2', 'tr:3']) {
      assert.equal((await api().post(`${T}/@versions`).send()).status, 201);
      await api().put(T).send({ image });
    }
    assert.equal((await api().post(`${T}/@aliases`).send({ alias: { name: 'live', version: 1 } })).status, 201);
    const trigger = (fields: Record<string, unknown>) => api().post('/v1/demo/triggers').send({ trigger: { app: 'fn', route: '/tr', ...fields } });
    const missing = await trigger({ name: 'x', type: 'alarm', version: 9 });
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'FRESCO_ROUTE_VERSION_NOT_FOUND']);
    assert.match(missing.body.error.message, /trigger\.version: .*no version 9/);
    const noAlias = await trigger({ name: 'x', type: 'alarm', alias: 'nope' });
    assert.deepEqual([noAlias.status, noAlias.body.error.code], [404, 'FRESCO_ROUTE_ALIAS_NOT_FOUND']);
    assert.match(noAlias.body.error.message, /trigger\.alias: .*"nope"/);
    const both = await trigger({ name: 'x', type: 'alarm', version: 1, alias: 'live' });
    assert.equal(both.status, 400);
    assert.match(both.body.error.message, /trigger\.version, trigger\.alias: give one/);

    // An Aodh callback runs the trigger's version 2 (image tr:2), and its call says so.
    const byVersion = await trigger({ name: 'by-version', type: 'alarm', version: 2 });
    assert.equal(byVersion.status, 201, JSON.stringify(byVersion.body));
    assert.deepEqual([byVersion.body.trigger.version, byVersion.body.trigger.alias], [2, null]);
    const ran = async (callId: string) => {
      await waitFor('the trigger\'s call to run', async () => (await api().get(`/v1/demo/calls/${callId}`)).body.call.status === 'success');
      const call = (await api().get(`/v1/demo/calls/${callId}`)).body.call;
      return [executor.seen.find((c) => c.id === callId)!.route.image, call.route_version];
    };
    const alarm = await api().post(new URL(byVersion.body.trigger.callback_url).pathname).send({ alarm_id: 'a', current: 'alarm' });
    assert.equal(alarm.status, 202, JSON.stringify(alarm.body));
    assert.deepEqual(await ran(alarm.body.call_id), ['tr:2', 2]);

    // A schedule through the alias: each firing runs the version the alias names then.
    const byAlias = await trigger({ name: 'by-alias', type: 'schedule', schedule: '* * * * *', alias: 'live' });
    assert.equal(byAlias.status, 201, JSON.stringify(byAlias.body));
    assert.deepEqual([byAlias.body.trigger.version, byAlias.body.trigger.alias], [null, 'live']);
    const created = new Date(byAlias.body.trigger.created_at).getTime();
    const fire = async (minutes: number) => {
      assert.equal(await app.services.events.fireSchedules(new Date(created + minutes * 60_000)), 1);
      const [row] = await t.db('calls').where({ trigger_id: byAlias.body.trigger.id }).orderBy('created_at', 'desc').limit(1);
      return ran(row.id);
    };
    assert.deepEqual(await fire(1.1), ['tr:1', 1]);
    assert.equal((await api().patch(`${T}/@aliases/live`).send({ version: 2 })).status, 200);
    assert.deepEqual(await fire(2.1), ['tr:2', 2], 'the alias moved: the next firing follows it');

    // What a trigger runs cannot go from under it: 409s naming the trigger (and the alias).
    const versionInUse = await api().delete(`${T}/@versions/2`);
    assert.deepEqual([versionInUse.status, versionInUse.body.error.code], [409, 'FRESCO_ROUTE_VERSION_IN_USE']);
    assert.match(versionInUse.body.error.message, /"live".*"by-version"/);
    const aliasInUse = await api().delete(`${T}/@aliases/live`);
    assert.deepEqual([aliasInUse.status, aliasInUse.body.error.code], [409, 'FRESCO_ROUTE_ALIAS_IN_USE']);
    assert.match(aliasInUse.body.error.message, /"by-alias"/);

    // Pointed elsewhere (setting a version clears the alias; 0: the route as it is now), both may go.
    const moved = await api().put(`/v1/demo/triggers/${byAlias.body.trigger.id}`).send({ version: 1 });
    assert.deepEqual([moved.body.trigger.version, moved.body.trigger.alias], [1, null]);
    const now = await api().put(`/v1/demo/triggers/${byVersion.body.trigger.id}`).send({ trigger: { version: 0 } });
    assert.deepEqual([now.body.trigger.version, now.body.trigger.alias], [null, null]);
    assert.equal((await api().delete(`${T}/@aliases/live`)).status, 200);
    assert.equal((await api().delete(`${T}/@versions/2`)).status, 200);
    const gone = await api().put(`/v1/demo/triggers/${byAlias.body.trigger.id}`).send({ alias: 'live' });
    assert.deepEqual([gone.status, gone.body.error.code], [404, 'FRESCO_ROUTE_ALIAS_NOT_FOUND']);
    const alarmNow = await api().post(new URL(byVersion.body.trigger.callback_url).pathname).send({ alarm_id: 'a', current: 'alarm' });
    assert.deepEqual(await ran(alarmNow.body.call_id), ['tr:3', null], 'version 0: the route as it is now');
    for (const id of [byAlias.body.trigger.id, byVersion.body.trigger.id]) await api().delete(`/v1/demo/triggers/${id}`);
  });

  it('never leaves a trigger on a deleted version when both happen at once', async () => {
    const T = '/v1/demo/apps/fn/routes/race';
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/race', image: 'race:1' } });
    for (let i = 0; i < 8; i++) {
      const v = (await api().post(`${T}/@versions`).send()).body.version.number as number;
      const [created, deleted] = await Promise.all([
        api().post('/v1/demo/triggers').send({ trigger: { name: `race-${i}`, type: 'alarm', app: 'fn', route: '/race', version: v } }),
        api().delete(`${T}/@versions/${v}`),
      ]);
      const outcome = `${created.status}/${deleted.status}`;
      assert.ok(outcome === '201/409' || outcome === '404/200', `trigger ${created.status}, delete ${deleted.status}`);
      if (created.status === 201) await api().delete(`/v1/demo/triggers/${created.body.trigger.id}`);
    }
  });

  it('keeps versions and aliases to their project', async () => {
    await api().post('/v1/other/apps').send({ app: { name: 'fn' } });
    for (const url of [`/v1/other/apps/fn/routes/img/resize/@versions`, `/v1/other/apps/fn/routes/img/resize/@versions/1`,
      '/v1/other/apps/fn/routes/img/resize/@aliases']) {
      const res = await api().get(url);
      assert.equal(res.status, 404, url);
      assert.equal(res.body.error.code, 'FRESCO_ROUTE_NOT_FOUND', url);
    }
    assert.equal((await api().post('/v1/other/apps/fn/routes/img/resize/@versions').send()).status, 404);
    assert.equal((await api().post('/v1/r/other/fn/img/resize').set('Fresco-Version', '1').send('x')).status, 404);
  });

  it('refuses unknown fields and bad alias names with 400 naming the field', async () => {
    const bad = await api().post(`${R}/@aliases`).send({ alias: { name: 'a/b', version: 1 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /alias\.name/);
    const extra = await api().post(`${R}/@versions`).send({ version: { image: 'x' } });
    assert.equal(extra.status, 400);
    assert.match(extra.body.error.message, /unknown field/);
  });
});
