import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { decodeNotification, normalizeNotification, type SwiftEventData } from '../../../src/events';
import { start, Started } from '../../../src/main';
import { AmqpCallQueue, AmqpConnection } from '../../../src/queue';
import type { NotificationOutcome } from '../../../src/services/event-service';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { waitFor } from '../../helpers/wait';
import { openstackUp, OsEnv } from '../../helpers/openstack';
import { issueToken } from '../auth/keystone-env';
import { buildImages } from '../executor/fixtures';
import { Broker, uniq } from '../queue/broker';

// Issue 6's "done when": an object uploaded to the real Swift by user demo starts demo's function
// (real Docker) with the right container and object in its event, and the other tenant's trigger
// of the same name does not fire. Fresco runs as `all` with Keystone auth, bound passively to
// Swift's own non-durable `swift` exchange on the real RabbitMQ, where ceilometermiddleware
// publishes one notification per Swift request — so every request that must fire nothing is
// checked too: reads, a method outside the filter, another tenant's 403, names outside the filter.

/** A Swift object URL: each path segment quoted, as a client does (é → %C3%A9, space → %20). */
const objectUrl = (storage: string, container: string, name: string) =>
  `${storage}/${encodeURIComponent(container)}/${name.split('/').map(encodeURIComponent).join('/')}`;

/** What the listener decided for one Swift notification. */
interface Seen { project: string; container: string | null; object: string | null; method: string; queued: number }

describe('swift trigger end to end (real Keystone, Swift, RabbitMQ and Docker)', function () {
  this.timeout(60_000);
  const broker = new Broker();
  const queue = uniq('swift-notifications');
  const callQueue = uniq('swift-calls');
  const run = randomUUID().slice(0, 8);
  const C = { demo: `fresco-e2e-${run}`, demo2: `fresco-e2e-${run}-b`, alt: `fresco-e2e-${run}-alt` };
  const UNICODE = 'incoming/héllo wörld.txt';
  const http = axios.create({ validateStatus: () => true });
  const seen: Seen[] = [];
  const tok: Record<string, string> = {};
  const trigger: Record<string, string> = {};
  let env: OsEnv;
  let t: TestDb;
  let amqp: AmqpConnection;
  let fresco: Started;
  let base: string;
  let stateDir: string;
  let project: { demo: string; alt: string };
  let storage: { demo: string; alt: string };

  const api = (who: 'demo' | 'alt') => ({
    get: (p: string) => http.get(`${base}/v1/${project[who]}${p}`, { headers: { 'X-Auth-Token': tok[who] } }),
    post: (p: string, body: unknown) => http.post(`${base}/v1/${project[who]}${p}`, body, { headers: { 'X-Auth-Token': tok[who] } }),
  });
  const swift = (method: string, url: string, who?: 'demo' | 'alt', data?: string, headers: Record<string, string> = {}) =>
    http.request({ method, url, data, headers: { ...(who ? { 'X-Auth-Token': tok[who] } : {}), 'Content-Type': 'text/plain', ...headers } });
  const calls = async (who: 'demo' | 'alt') => {
    const res = await api(who).get('/calls?route=/on-upload&limit=100');
    assert.equal(res.status, 200, JSON.stringify(res.data));
    return res.data.calls as Array<Record<string, any>>;
  };
  /** The finished call whose event names `object`, once it is done. */
  const finishedCall = (who: 'demo' | 'alt', object: string) => waitFor(`${who}'s call for ${object}`, async () => {
    for (const c of await calls(who)) {
      if (c.status === 'queued' || c.status === 'running') continue;
      const event = stdinEvent(c);
      if (event.data.object === object) return { call: c, event, env: String(c.result).split('\n---\n')[0] };
    }
    return undefined;
  }, 30_000, 100);
  /** The listener's decision for the notification of `method` on `container/object`, once it was handled. */
  const decision = (container: string, object: string, method: string) =>
    waitFor(`the notification of ${method} ${container}/${object}`,
      () => seen.find((s) => s.container === container && s.object === object && s.method === method), 15_000);

  function stdinEvent(c: Record<string, any>): Record<string, any> {
    const [, stdin] = String(c.result).split('\n---\n');
    return JSON.parse(stdin);
  }

  before(async function () {
    this.timeout(600_000);
    env = await openstackUp('swift-up.sh');
    project = { demo: env.OS_DEMO_PROJECT_ID, alt: env.OS_ALT_PROJECT_ID };
    storage = { demo: env.OS_DEMO_STORAGE_URL, alt: env.OS_ALT_STORAGE_URL };
    tok.demo = await issueToken(env, 'DEMO');
    tok.alt = await issueToken(env, 'ALT');
    buildImages();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-swift-'));
    await broker.open();
    broker.track('queue', queue, `${queue}.dlq`, callQueue, `${callQueue}.dlq`);
    broker.track('exchange', `${queue}.dlx`, `${callQueue}.dlx`);
    // A request to Swift makes its proxy (re)declare the `swift` exchange, gone if RabbitMQ restarted
    // since Swift last published; Fresco binds to it only if it exists (passive).
    await swift('HEAD', storage.demo, 'demo');
    // Our own call queue: `fresco.calls` may have consumers of other test runs on this broker.
    amqp = broker.connect('swift-e2e-fresco');
    await amqp.waitConnected(5000);
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir,
      FRESCO_TRANSPORT_URL: env.OS_TRANSPORT_URL, FRESCO_ENGINE_ENGINE_ID: `test-swift-${run}`,
      FRESCO_KEYSTONE_AUTH_URL: env.OS_AUTH_URL, FRESCO_KEYSTONE_USERNAME: env.OS_SERVICE_USERNAME,
      FRESCO_KEYSTONE_PASSWORD: env.OS_SERVICE_PASSWORD, FRESCO_KEYSTONE_PROJECT_NAME: env.OS_SERVICE_PROJECT_NAME,
      FRESCO_NOTIFICATIONS_QUEUE: queue, FRESCO_NOTIFICATIONS_EXCHANGES: env.SWIFT_NOTIFICATION_EXCHANGE,
      FRESCO_NOTIFICATIONS_EXCHANGE_DURABLE: 'passive',
    }), 'all', { amqp, queue: new AmqpCallQueue(amqp, { name: callQueue }) });
    observeDecisions(fresco);
    base = `http://127.0.0.1:${fresco.address!.port}`;
    await waitFor('the listener to consume its queue, bound to swift', async () => {
      const ch = await broker.channel();
      try {
        return (await ch.checkQueue(queue)).consumerCount === 1;
      } finally {
        await ch.close().catch(() => undefined);
      }
    });
    for (const who of ['demo', 'alt'] as const) {
      assert.equal((await api(who).post('/apps', { app: { name: 'files' } })).status, 200);
      const r = await api(who).post('/apps/files/routes', { route: { path: '/on-upload', image: 'fresco-test/env:1', type: 'async' } });
      assert.equal(r.status, 200, JSON.stringify(r.data));
      const tr = await api(who).post('/triggers', { trigger: {
        name: 'uploads', type: 'swift', app: 'files', route: '/on-upload',
        filter: { container: C[who], prefix: 'incoming/', suffix: '.txt', methods: ['PUT'] } } });
      assert.equal(tr.status, 201, JSON.stringify(tr.data));
      trigger[who] = tr.data.trigger.id;
    }
    for (const [who, container] of [['demo', C.demo], ['demo', C.demo2], ['alt', C.alt]] as const) {
      const res = await swift('PUT', `${storage[who]}/${container}`, who);
      assert.ok([201, 202].includes(res.status), `PUT container ${container}: ${res.status}`);
    }
    // Ready when a request to Swift reaches the listener (a missing exchange is bound on a later retry).
    await waitFor('Swift notifications to reach Fresco', async () => {
      await swift('HEAD', `${storage.demo}/${C.demo}`, 'demo');
      return seen.some((s) => s.container === C.demo && s.object === null && s.method === 'HEAD');
    }, 30_000, 500);
  });
  after(async () => {
    await fresco?.stop();
    await broker.cleanup();
    for (const [who, container] of [['demo', C.demo], ['demo', C.demo2], ['alt', C.alt]] as const) {
      if (!tok[who]) continue;
      const list = await swift('GET', `${storage[who]}/${container}?format=json`, who);
      for (const o of Array.isArray(list.data) ? list.data : []) await swift('DELETE', objectUrl(storage[who], container, o.name), who);
      await swift('DELETE', `${storage[who]}/${container}`, who);
    }
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  /** Records (without changing it) what the listener decides for each Swift notification. */
  function observeDecisions(running: Started): void {
    const events = running.services.events;
    const handle = events.handleNotification.bind(events);
    events.handleNotification = async (content, props) => {
      const outcome: NotificationOutcome = await handle(content, props);
      const d = decodeNotification(content, props);
      const routed = d.ok ? normalizeNotification(d.notification) : undefined;
      if (routed?.ok && routed.event.source === 'swift' && outcome.ok) {
        const data = routed.event.data as SwiftEventData;
        seen.push({ project: routed.event.project_id, container: data.container, object: data.object, method: data.method, queued: outcome.queued });
      }
      return outcome;
    };
  }

  it("starts demo's function for demo's upload, with the container and the decoded object name, and not alt's", async () => {
    const put = await swift('PUT', objectUrl(storage.demo, C.demo, UNICODE), 'demo', 'bonjour\n');
    assert.equal(put.status, 201);
    const { call, event, env: fnEnv } = await finishedCall('demo', UNICODE);
    assert.equal(call.status, 'success', JSON.stringify(call));
    assert.equal(call.trigger, 'swift');
    assert.equal(call.trigger_id, trigger.demo);
    assert.equal(event.source, 'swift');
    assert.equal(event.event_type, 'objectstore.http.request');
    assert.equal(event.project_id, project.demo);
    assert.equal(event.data.container, C.demo);
    assert.equal(event.data.object, UNICODE, 'é stays é, the space a space');
    assert.equal(event.data.method, 'PUT');
    assert.equal(event.data.bytes, 8);
    assert.equal(event.data.user_id, env.OS_DEMO_USER_ID);
    assert.ok(event.raw?.payload, 'the original message rides along');
    assert.ok(!Number.isNaN(Date.parse(event.time)));
    // FRESCO_ATTEMPT (the attempt's number) is the one FRESCO_ variable a function gets (docs/function-contract.md).
    assert.doesNotMatch(fnEnv, /TOKEN|PASSWORD|FRESCO_(?!ATTEMPT=)/, 'no credential reaches the function');
    assert.deepEqual(seen.filter((s) => s.object === UNICODE).map((s) => s.queued), [1]);
    assert.deepEqual(await calls('alt'), [], "alt's trigger of the same name did not fire");
  });

  it("starts alt's function for alt's own upload, and not demo's", async () => {
    const put = await swift('PUT', objectUrl(storage.alt, C.alt, 'incoming/alt.txt'), 'alt', 'hola\n');
    assert.equal(put.status, 201);
    const { call, event } = await finishedCall('alt', 'incoming/alt.txt');
    assert.equal(call.status, 'success');
    assert.equal(call.trigger_id, trigger.alt);
    assert.equal(event.project_id, project.alt);
    assert.equal(event.data.container, C.alt);
    assert.equal((await calls('demo')).length, 1, 'demo still has its one call');
  });

  it('fires nothing for reads, methods outside the filter, another tenant’s 403, an anonymous 401 or names outside the filter', async () => {
    const obj = (container: string, name: string) => objectUrl(storage.demo, container, name);
    const actions: Array<[string, string, string, () => Promise<{ status: number }>, number]> = [
      ['GET', C.demo, UNICODE, () => swift('GET', obj(C.demo, UNICODE), 'demo'), 200],
      ['HEAD', C.demo, UNICODE, () => swift('HEAD', obj(C.demo, UNICODE), 'demo'), 200],
      ['POST', C.demo, UNICODE, () => swift('POST', obj(C.demo, UNICODE), 'demo', undefined, { 'X-Object-Meta-Colour': 'blue' }), 202],
      ['PUT', C.demo, 'incoming/intruder.txt', () => swift('PUT', obj(C.demo, 'incoming/intruder.txt'), 'alt', 'x'), 403],
      ['PUT', C.demo, 'incoming/anonymous.txt', () => swift('PUT', obj(C.demo, 'incoming/anonymous.txt'), undefined, 'x'), 401],
      ['PUT', C.demo, 'outgoing/report.txt', () => swift('PUT', obj(C.demo, 'outgoing/report.txt'), 'demo', 'x'), 201],
      ['PUT', C.demo, 'incoming/photo.jpg', () => swift('PUT', obj(C.demo, 'incoming/photo.jpg'), 'demo', 'x'), 201],
      ['PUT', C.demo2, 'incoming/other-container.txt', () => swift('PUT', obj(C.demo2, 'incoming/other-container.txt'), 'demo', 'x'), 201],
      ['DELETE', C.demo, UNICODE, () => swift('DELETE', obj(C.demo, UNICODE), 'demo'), 204],
    ];
    // One at a time, as a user would; Swift answers each only after its notification was published.
    for (const [method, container, name, send, status] of actions) {
      assert.equal((await send()).status, status, `${method} ${container}/${name}`);
    }
    for (const [method, container, name] of actions) {
      const d = await decision(container, name, method);
      assert.equal(d.project, project.demo, `${method} ${name} is an event of demo's account`);
      assert.equal(d.queued, 0, `${method} ${container}/${name} fired nothing`);
    }
    // A control upload after them all (one queue, consumed in order): once its call is done, the
    // requests before it have long been handled, and demo has exactly two calls, alt one.
    assert.equal((await swift('PUT', obj(C.demo, 'incoming/control.txt'), 'demo', 'ok\n')).status, 201);
    await finishedCall('demo', 'incoming/control.txt');
    const demoObjects = (await calls('demo')).map((c) => stdinEvent(c).data.object).sort();
    assert.deepEqual(demoObjects, ['incoming/control.txt', UNICODE].sort());
    assert.deepEqual((await calls('alt')).map((c) => stdinEvent(c).data.object), ['incoming/alt.txt']);
    assert.equal(await broker.depth(`${queue}.dlq`), 0, 'nothing Swift sent was dead-lettered');
  });
});
