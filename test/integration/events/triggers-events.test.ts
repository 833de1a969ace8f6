import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { buildServices } from '../../../src/main';
import { FIXTURES_DIR } from '../../helpers/openstack';

// Triggers API and the event pipeline (fixtures → decode → match → durable queued calls) on a
// real PostgreSQL. The live RabbitMQ/Swift path has its own test.

const DEMO = '099c3fdaf8b249cdbb21adf7a417f68a';
const OTHER = '46c30329ebe8482295afe7902db9e495';

function delivery(name: string): { content: Buffer; exchange: string } {
  const f = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, `swift-notification-${name}.json`), 'utf8'));
  return { content: Buffer.from(f.notifications[0].content), exchange: f.notifications[0].fields.exchange };
}

describe('triggers and events (PostgreSQL)', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  const queuedCalls = async (project: string) => (await api().get(`/v1/${project}/calls?status=queued`)).body.calls;
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, undefined, { executor: new ScriptedExecutor() });
    for (const p of [DEMO, OTHER]) {
      await api().post(`/v1/${p}/apps`).send({ app: { name: 'ev' } });
      await api().post(`/v1/${p}/apps/ev/routes`).send({ route: { path: '/on-upload', image: 'x:1' } });
    }
  });
  after(() => t.drop());

  it('validates triggers, naming the field', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ name: 't', type: 'kafka', app: 'ev', route: '/on-upload' }, /trigger\.type:/],
      [{ name: 't', type: 'swift', app: 'ev', route: '/on-upload', filter: { methods: ['FETCH'] } }, /trigger\.filter\.methods/],
      [{ name: 't', type: 'swift', app: 'ev', route: '/on-upload', filter: { colour: 1 } }, /trigger\.filter/],
      [{ name: 't', type: 'schedule', app: 'ev', route: '/on-upload', schedule: 'every minute' }, /trigger\.schedule:/],
      [{ name: 't', type: 'schedule', app: 'ev', route: '/on-upload', schedule: '* * * * *', timezone: 'Mars/Base' }, /trigger\.timezone:/],
      [{ name: 't', type: 'swift', app: 'ev', route: '/on-upload', schedule: '* * * * *' }, /trigger\.schedule:/],
      [{ name: 't', type: 'swift', app: 'ev', route: '/on-upload', secret: 'x' }, /unknown field\(s\) "secret"/],
    ];
    for (const [trigger, message] of cases) {
      const res = await api().post(`/v1/${DEMO}/triggers`).send({ trigger });
      assert.equal(res.status, 400, JSON.stringify(trigger));
      assert.match(res.body.error.message, message);
    }
    const missing = await api().post(`/v1/${DEMO}/triggers`).send({ trigger: { name: 't', type: 'swift', app: 'ev', route: '/nope' } });
    assert.equal(missing.status, 404);
  });

  it('creates, lists, updates and deletes triggers per project', async () => {
    const res = await api().post(`/v1/${DEMO}/triggers`)
      .send({ trigger: { name: 'tmp', type: 'notification', app: 'ev', route: '/on-upload', filter: { event_type: 'compute.instance.*' } } });
    assert.equal(res.status, 201);
    const id = res.body.trigger.id;
    assert.equal(res.body.trigger.callback_url, null);
    assert.equal((await api().get(`/v1/${OTHER}/triggers/${id}`)).status, 404);
    const upd = await api().put(`/v1/${DEMO}/triggers/${id}`).send({ enabled: false });
    assert.equal(upd.body.trigger.enabled, false);
    assert.equal((await api().put(`/v1/${DEMO}/triggers/${id}`).send({ type: 'swift' })).status, 400);
    assert.equal((await api().post(`/v1/${DEMO}/triggers`).send({ trigger: { name: 'tmp', type: 'swift', app: 'ev', route: '/on-upload' } })).status, 409);
    assert.equal((await api().delete(`/v1/${DEMO}/triggers/${id}`)).status, 200);
    assert.deepEqual((await api().get(`/v1/${DEMO}/triggers`)).body.triggers, []);
  });

  it("queues one call for the project's own Swift upload, with the decoded object in the event", async () => {
    for (const p of [DEMO, OTHER]) {
      const r = await api().post(`/v1/${p}/triggers`).send({ trigger: { name: 'up', type: 'swift', app: 'ev', route: '/on-upload',
        filter: { container: 'fixtures' } } });
      assert.equal(r.status, 201);
    }
    const put = delivery('put-object-nested-unicode');
    const out = await app.services.events.handleNotification(put.content, { exchange: put.exchange, routingKey: 'notifications.info' });
    assert.deepEqual(out, { ok: true, queued: 1 });
    const again = await app.services.events.handleNotification(put.content, { exchange: put.exchange });
    assert.deepEqual(again, { ok: true, queued: 0 }, 'a redelivered message does not queue twice');
    const calls = await queuedCalls(DEMO);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].trigger, 'swift');
    assert.deepEqual(await queuedCalls(OTHER), [], "the other project's trigger never fires");
    const claimed = await app.services.callStore.claim(calls[0].id, 'test-engine', 60_000);
    const event = JSON.parse(claimed!.request.body.toString());
    assert.equal(event.source, 'swift');
    assert.equal(event.project_id, DEMO);
    assert.equal(event.data.container, 'fixtures');
    assert.equal(event.data.object, 'photos/2026/héllo wörld.txt');
    assert.equal(event.data.method, 'PUT');
    assert.ok(event.raw, 'the original message rides along');
  });

  it('queues a Swift event\'s call on the version its trigger names, and records it', async () => {
    const R = `/v1/${DEMO}/apps/ev/routes/on-upload`;
    assert.equal((await api().post(`${R}/@versions`).send()).status, 201);
    const created = await api().post(`/v1/${DEMO}/triggers`).send({ trigger: { name: 'up-v1', type: 'swift', app: 'ev', route: '/on-upload',
      filter: { container: 'fixtures' }, version: 1 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const put = delivery('put-object-nested-unicode');
    await app.services.events.handleNotification(put.content, { exchange: put.exchange });
    const [call] = (await queuedCalls(DEMO)).filter((c: { trigger_id: string }) => c.trigger_id === created.body.trigger.id);
    assert.equal(call.route_version, 1);
    const inUse = await api().delete(`${R}/@versions/1`);
    assert.equal(inUse.status, 409);
    assert.match(inUse.body.error.message, /"up-v1"/);
    assert.equal((await api().delete(`/v1/${DEMO}/triggers/${created.body.trigger.id}`)).status, 200);
    assert.equal((await api().delete(`${R}/@versions/1`)).status, 200);
  });

  it('never fires for a request that was not the project\'s own, nor for GETs by default', async () => {
    for (const name of ['put-object-other-project', 'put-object-no-token', 'get-object', 'head-object']) {
      const d = delivery(name);
      assert.deepEqual(await app.services.events.handleNotification(d.content, { exchange: d.exchange }), { ok: true, queued: 0 }, name);
    }
  });

  it('reports poison input instead of throwing', async () => {
    for (const bad of [Buffer.from('{"oslo.version": "2.0", "oslo.message": "{trunc'), Buffer.from('[1,2]'),
      Buffer.from([0xff, 0xfe, 0x00]), Buffer.alloc(2 * 1024 * 1024, 0x20)]) {
      const out = await app.services.events.handleNotification(bad, { exchange: 'swift' });
      assert.equal(out.ok, false);
    }
  });

  it('accepts an Aodh callback on the secret URL (202) and 404s a wrong secret', async () => {
    const res = await api().post(`/v1/${DEMO}/triggers`).send({ trigger: { name: 'cpu', type: 'alarm', app: 'ev', route: '/on-upload' } });
    const url = new URL(res.body.trigger.callback_url);
    const aodh = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'aodh-alarm-callback.json'), 'utf8'));
    const ok = await api().post(url.pathname).set('Content-Type', 'application/json').send(aodh.body);
    assert.equal(ok.status, 202);
    const wrong = await api().post(url.pathname.replace(/[^/]+$/, 'guess')).set('Content-Type', 'application/json').send(aodh.body);
    assert.equal(wrong.status, 404);
    const call = (await api().get(`/v1/${DEMO}/calls/${ok.body.call_id}`)).body.call;
    assert.equal(call.trigger, 'alarm');
    const bad = await api().post(url.pathname).send('not json');
    assert.equal(bad.status, 400);
  });

  it('fires a schedule slot exactly once across two listeners, and replays a missed one once', async () => {
    const res = await api().post(`/v1/${DEMO}/triggers`).send({ trigger: { name: 'tick', type: 'schedule', app: 'ev',
      route: '/on-upload', schedule: '*/5 * * * *', timezone: 'Europe/Paris' } });
    assert.equal(res.status, 201);
    const createdAt = new Date(res.body.trigger.created_at);
    const later = new Date(createdAt.getTime() + 31 * 60_000);
    // A second listener process on the same database, wired as main.ts wires one.
    const other = buildServices(t.db, testConfig()).events;
    const fired = await Promise.all([app.services.events.fireSchedules(later), other.fireSchedules(later)]);
    assert.equal(fired[0] + fired[1], 1, 'six missed slots replay as one call, once');
    assert.equal(await other.fireSchedules(later), 0);
    const scheduled = (await queuedCalls(DEMO)).filter((c: { trigger: string }) => c.trigger === 'schedule');
    assert.equal(scheduled.length, 1);
  });
});
