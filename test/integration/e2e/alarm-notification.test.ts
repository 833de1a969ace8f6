import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios, { AxiosInstance } from 'axios';
import * as amqplib from 'amqplib';
import { start, Started } from '../../../src/main';
import { AmqpCallQueue } from '../../../src/queue';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';
import { issueToken, keystone, OsEnv } from '../auth/keystone-env';
import { Broker, BROKER_URL, uniq } from '../queue/broker';
import { FIXTURES_DIR } from '../../helpers/openstack';

// The other event sources with the real Keystone and RabbitMQ, Fresco in role `all` with
// keystone auth: Aodh's alarm callback (the captured aodh-notifier POST) by secret URL or by a
// Keystone token of the trigger's project (trust+http), and an oslo notification of another
// service (nova-style, bare v1 envelope) on its own exchange, each firing only its project's
// trigger. The ScriptedExecutor echoes the event it got on stdin ("echo:<event JSON>").


describe('alarm callbacks and service notifications (real Keystone, real RabbitMQ)', function () {
  this.timeout(60_000);
  const broker = new Broker();
  const exchange = uniq('nova');
  const queue = uniq('alarm-notifications');
  const callQueue = uniq('alarm-calls');
  let env: OsEnv;
  let t: TestDb;
  let fresco: Started;
  let stateDir: string;
  let root: string;
  let publisher: amqplib.ChannelModel;
  let pub: amqplib.ConfirmChannel;
  const tok: Record<string, string> = {};
  const client = (who?: string): AxiosInstance => axios.create({
    validateStatus: () => true, headers: who ? { 'X-Auth-Token': tok[who] } : {},
  });
  const aodh = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'aodh-alarm-callback.json'), 'utf8'));
  const finalCall = (who: string, project: string, id: string) => waitFor(`call ${id} to finish`, async () => {
    const call = (await client(who).get(`${root}/v1/${project}/calls/${id}`)).data.call;
    return call && call.status !== 'queued' && call.status !== 'running' ? call : undefined;
  }, 20_000);
  const callsOf = (project: string, route: string) => t.db('calls').where({ project_id: project, route }).select('id', 'status');

  before(async function () {
    this.timeout(600_000);
    env = await keystone();
    for (const who of ['DEMO', 'ALT', 'READER']) tok[who] = await issueToken(env, who);
    await broker.open();
    broker.track('queue', queue, `${queue}.dlq`, callQueue, `${callQueue}.dlq`);
    broker.track('exchange', exchange, `${queue}.dlx`, `${callQueue}.dlx`);
    const admin = await broker.channel();
    await admin.assertExchange(exchange, 'topic', { durable: false }); // as oslo.messaging declares nova's
    await admin.close();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-alarm-'));
    const amqp = broker.connect('alarm-fresco');
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir, FRESCO_TRANSPORT_URL: BROKER_URL,
      FRESCO_NOTIFICATIONS_QUEUE: queue, FRESCO_NOTIFICATIONS_EXCHANGES: exchange, FRESCO_NOTIFICATIONS_EXCHANGE_DURABLE: 'passive',
      FRESCO_ENGINE_ENGINE_ID: `test-alarm-${randomUUID().slice(0, 8)}`,
      FRESCO_KEYSTONE_AUTH_URL: env.OS_AUTH_URL, FRESCO_KEYSTONE_USERNAME: env.OS_SERVICE_USERNAME,
      FRESCO_KEYSTONE_PASSWORD: env.OS_SERVICE_PASSWORD, FRESCO_KEYSTONE_PROJECT_NAME: env.OS_SERVICE_PROJECT_NAME,
    }), 'all', { executor: new ScriptedExecutor(), amqp, queue: new AmqpCallQueue(amqp, { name: callQueue }) });
    root = `http://127.0.0.1:${fresco.address!.port}`;
    for (const [who, project] of [['DEMO', env.OS_DEMO_PROJECT_ID], ['ALT', env.OS_ALT_PROJECT_ID]]) {
      const api = client(who);
      assert.equal((await api.post(`${root}/v1/${project}/apps`, { app: { name: 'ops' } })).status, 200);
      for (const p of ['/on-alarm', '/on-boot']) {
        const r = await api.post(`${root}/v1/${project}/apps/ops/routes`, { route: { path: p, image: 'x:1', type: 'async' } });
        assert.equal(r.status, 200, JSON.stringify(r.data));
      }
    }
    publisher = await amqplib.connect(BROKER_URL);
    pub = await publisher.createConfirmChannel();
  });
  after(async () => {
    await publisher?.close().catch(() => undefined);
    await fresco?.stop();
    await broker.cleanup();
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("runs the alarm trigger's route for Aodh's POST to the secret URL, answering 202 at once", async () => {
    const demo = env.OS_DEMO_PROJECT_ID;
    const created = await client('DEMO').post(`${root}/v1/${demo}/triggers`,
      { trigger: { name: 'cpu-high', type: 'alarm', app: 'ops', route: '/on-alarm' } });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const url: string = created.data.trigger.callback_url;
    assert.match(url, new RegExp(`^${root}/alarms/${created.data.trigger.id}/[A-Za-z0-9_-]{32,}$`));
    // aodh-notifier's own request: no token, JSON body, the secret in the URL.
    const res = await axios.post(url, aodh.body, { headers: { 'Content-Type': 'application/json' }, validateStatus: () => true });
    assert.equal(res.status, 202);
    const call = await finalCall('DEMO', demo, res.data.call_id);
    assert.equal(call.status, 'success');
    assert.equal(call.trigger, 'alarm');
    const event = JSON.parse(call.result.replace(/^echo:/, ''));
    assert.equal(event.source, 'aodh');
    assert.equal(event.project_id, demo);
    assert.equal(event.data.alarm_name, 'cpu-high');
    assert.equal(event.data.current, 'alarm');
    assert.equal(event.data.reason_data.most_recent, 85.2);
  });

  it('takes a Keystone token of the trigger project instead of the secret (trust+http); refuses any other caller', async () => {
    const demo = env.OS_DEMO_PROJECT_ID;
    const created = await client('DEMO').post(`${root}/v1/${demo}/triggers`,
      { trigger: { name: 'disk-full', type: 'alarm', app: 'ops', route: '/on-alarm' } });
    const guessed = `${root}/alarms/${created.data.trigger.id}/not-the-secret`;
    const before = (await callsOf(demo, '/on-alarm')).length;
    const noToken = await client().post(guessed, aodh.body, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(noToken.status, 404);
    const altToken = await client('ALT').post(guessed, aodh.body, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(altToken.status, 404);
    const badToken = await axios.post(guessed, aodh.body, {
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': 'not-a-token' }, validateStatus: () => true });
    assert.equal(badToken.status, 401);
    // A reader of the trigger's own project may not run its route, so neither its token nor the
    // trigger's answers (where the secret would be) let it run the route.
    const reader = await client('READER').post(guessed, aodh.body, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(reader.status, 403, JSON.stringify(reader.data));
    assert.equal(reader.data.error.code, 'FRESCO_POLICY_FORBIDDEN');
    const seen = await client('READER').get(`${root}/v1/${demo}/triggers/${created.data.trigger.id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.data.trigger.callback_url, null, 'a reader is not shown the secret URL');
    const listed = (await client('READER').get(`${root}/v1/${demo}/triggers`)).data.triggers;
    assert.ok(listed.some((x: { id: string }) => x.id === created.data.trigger.id));
    assert.ok(listed.every((x: { callback_url: string | null }) => x.callback_url === null), 'nor in the list');
    assert.equal((await callsOf(demo, '/on-alarm')).length, before, 'nothing queued for refused callers');
    const trusted = await client('DEMO').post(guessed, aodh.body, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(trusted.status, 202);
    assert.equal((await finalCall('DEMO', demo, trusted.data.call_id)).status, 'success');
  });

  it("fires a notification trigger for its own project's matching event type only", async () => {
    const [demo, other] = [env.OS_DEMO_PROJECT_ID, env.OS_ALT_PROJECT_ID];
    for (const [who, project] of [['DEMO', demo], ['ALT', other]]) {
      const r = await client(who).post(`${root}/v1/${project}/triggers`, { trigger: {
        name: 'boot', type: 'notification', app: 'ops', route: '/on-boot',
        filter: { exchange, event_type: 'compute.instance.create.*' } } });
      assert.equal(r.status, 201, JSON.stringify(r.data));
    }
    const nova = (eventType: string, project: string) => {
      const id = randomUUID();
      pub.publish(exchange, 'notifications.info', Buffer.from(JSON.stringify({
        message_id: id, publisher_id: 'compute.node-1', event_type: eventType, priority: 'INFO',
        timestamp: '2026-11-29 02:00:00.123456', _context_project_id: project, _context_request_id: `req-${id}`,
        payload: { tenant_id: project, instance_id: `vm-${id.slice(0, 8)}`, state: 'active' },
      })), { contentType: 'application/json', contentEncoding: 'utf-8' });
      return id;
    };
    await waitFor('the listener to consume', async () => {
      const ch = await broker.channel();
      try { return (await ch.checkQueue(queue)).consumerCount === 1; } finally { await ch.close().catch(() => undefined); }
    });
    nova('compute.instance.delete.end', demo); // not matching the pattern
    const wanted = nova('compute.instance.create.end', demo);
    await pub.waitForConfirms();
    const call = await waitFor("demo's call", async () => (await t.db('calls')
      .where({ project_id: demo, route: '/on-boot' }).where('dedupe_key', 'like', `event:${wanted}:%`).first()));
    const done = await finalCall('DEMO', demo, call.id);
    assert.equal(done.trigger, 'notification');
    const event = JSON.parse(done.result.replace(/^echo:/, ''));
    assert.equal(event.event_type, 'compute.instance.create.end');
    assert.equal(event.project_id, demo);
    assert.equal(event.raw.payload.state, 'active');
    // Messages are consumed in order: the earlier, non-matching one was handled before this one.
    assert.equal((await callsOf(demo, '/on-boot')).length, 1, 'delete.end fired nothing');
    assert.equal((await callsOf(other, '/on-boot')).length, 0, "alt's trigger did not fire for demo's instance");
  });
});
