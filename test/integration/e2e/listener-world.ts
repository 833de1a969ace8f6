import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import * as amqplib from 'amqplib';
import { start, Started } from '../../../src/main';
import { AmqpCallQueue } from '../../../src/queue';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { FIXTURES_DIR } from '../../helpers/openstack';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';
import { Broker, BROKER_URL, uniq } from '../queue/broker';

// The listener role (in `all`) on the real RabbitMQ and PostgreSQL, with a ScriptedExecutor in
// place of Docker, its own exchange, queues and database: what the hostile-input tests share.

/** Project of the captured fixtures. */
export const P = '099c3fdaf8b249cdbb21adf7a417f68a';
const KEY = 'notifications.info';

export type Inner = Record<string, unknown> & { payload: Record<string, any> };

/** The inner oslo message of a captured Swift notification (`fixtures/swift-notification-<name>.json`). */
export function fixtureInner(name: string): Inner {
  const f = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, `swift-notification-${name}.json`), 'utf8'));
  return JSON.parse(JSON.parse(f.notifications[0].content)['oslo.message']);
}

/** A v2-enveloped copy of the captured PUT, of `object` in `fixtures`, with its own message_id. */
export function swiftPut(object: string, messageId: string, edit: (m: Inner) => void = () => undefined): Buffer {
  const m = fixtureInner('put-object');
  m.message_id = messageId;
  m._unique_id = messageId.replace(/-/g, '');
  m.payload.target.metadata.object = object;
  m.payload.target.metadata.path = `v1/AUTH_${P}/fixtures/${object}`;
  edit(m);
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(m) }));
}

/** A running listener with an `/alive` route triggered by PUTs under `fixtures/alive/`. */
export class ListenerWorld {
  readonly broker = new Broker();
  readonly exchange = uniq('hostile-exchange');
  readonly queue = uniq('hostile-notifications');
  readonly dlq = `${this.queue}.dlq`;
  private readonly callQueue = uniq('hostile-calls');
  t!: TestDb;
  fresco!: Started;
  private publisher?: amqplib.ChannelModel;
  private pub!: amqplib.ConfirmChannel;
  private stateDir?: string;

  /**
   * Starts Fresco; `catchAll` adds route `/any` with triggers that take every Swift PUT/DELETE and
   * every notification; each of `routes` adds an async route `/<name>` triggered by PUTs under
   * `fixtures/<name>/`; `env` adds FRESCO_* settings.
   */
  async start(options: { catchAll?: boolean; routes?: string[]; env?: Record<string, string> } = {}): Promise<void> {
    await this.broker.open();
    this.broker.track('queue', this.queue, this.dlq, this.callQueue, `${this.callQueue}.dlq`);
    this.broker.track('exchange', this.exchange, `${this.queue}.dlx`, `${this.callQueue}.dlx`);
    const admin = await this.broker.channel();
    await admin.assertExchange(this.exchange, 'topic', { durable: false });
    await admin.close();
    this.t = await createTestDb();
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-hostile-'));
    const amqp = this.broker.connect('hostile-fresco');
    await amqp.waitConnected(5000);
    this.fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: this.t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: this.stateDir,
      FRESCO_TRANSPORT_URL: BROKER_URL, FRESCO_NOTIFICATIONS_QUEUE: this.queue, FRESCO_NOTIFICATIONS_EXCHANGES: this.exchange,
      FRESCO_NOTIFICATIONS_EXCHANGE_DURABLE: 'false', FRESCO_ENGINE_ENGINE_ID: `test-hostile-${randomUUID().slice(0, 8)}`,
      ...options.env,
    }), 'all', { executor: new ScriptedExecutor(), amqp, queue: new AmqpCallQueue(amqp, { name: this.callQueue }) });
    this.publisher = await amqplib.connect(BROKER_URL, { clientProperties: { connection_name: uniq('hostile-publisher') } });
    this.pub = await this.publisher.createConfirmChannel();
    const http = axios.create({ validateStatus: () => true, baseURL: `http://127.0.0.1:${this.fresco.address!.port}/v1/${P}` });
    assert.equal((await http.post('/apps', { app: { name: 'ev' } })).status, 200);
    for (const name of ['alive', ...(options.routes ?? [])]) {
      const r = await http.post('/apps/ev/routes', { route: { path: `/${name}`, image: 'x:1', type: 'async' } });
      assert.equal(r.status, 200, JSON.stringify(r.data));
      const tr = await http.post('/triggers', { trigger: {
        name, type: 'swift', app: 'ev', route: `/${name}`, filter: { container: 'fixtures', prefix: `${name}/`, methods: ['PUT'] } } });
      assert.equal(tr.status, 201, JSON.stringify(tr.data));
    }
    if (options.catchAll) {
      assert.equal((await http.post('/apps/ev/routes', { route: { path: '/any', image: 'x:1', type: 'async' } })).status, 200);
      for (const [name, type] of [['any-swift', 'swift'], ['any-notification', 'notification']]) {
        const r = await http.post('/triggers', { trigger: { name, type, app: 'ev', route: '/any' } });
        assert.equal(r.status, 201, JSON.stringify(r.data));
      }
    }
    await waitFor('the listener to consume its queue', async () => (await this.consumers()) === 1);
  }

  async stop(): Promise<void> {
    await this.publisher?.close().catch(() => undefined);
    await this.fresco?.stop();
    await this.broker.cleanup();
    await this.t?.drop();
    if (this.stateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** Publishes raw bytes to the listener's exchange as oslo does, and waits for the broker's confirm. */
  async publish(content: Buffer, props: amqplib.Options.Publish = {}): Promise<void> {
    await this.publishAll([content], props);
  }

  /** Publishes each of `contents` back to back, then waits for the broker's confirms of all. */
  async publishAll(contents: Buffer[], props: amqplib.Options.Publish = {}): Promise<void> {
    for (const content of contents) {
      this.pub.publish(this.exchange, KEY, content, { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8', ...props });
    }
    await this.pub.waitForConfirms();
  }

  /** Consumers on the listener's queue (1 while it listens). */
  async consumers(): Promise<number> {
    const ch = await this.broker.channel();
    try {
      return (await ch.checkQueue(this.queue)).consumerCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Drains the DLQ: each dead letter's AMQP message-id and its first x-death entry. */
  async deadLetters(): Promise<Map<string, { reason: string; count: number; queue: string }>> {
    const ch = await this.broker.channel();
    const found = new Map<string, { reason: string; count: number; queue: string }>();
    try {
      for (let m = await ch.get(this.dlq, { noAck: true }); m; m = await ch.get(this.dlq, { noAck: true })) {
        found.set(String(m.properties.messageId), (m.properties.headers?.['x-death'] as any[])?.[0]);
      }
    } finally {
      await ch.close().catch(() => undefined);
    }
    return found;
  }

  /** Publishes a valid PUT under `alive/` and waits (bounded) until its function ran successfully. */
  async provesAlive(label: string, timeoutMs = 20_000): Promise<void> {
    const id = `alive-${label}-${randomUUID()}`;
    await this.publish(swiftPut(`alive/${label}.txt`, id));
    const call = await waitFor(`the call of ${label}`, async () => (await this.t.db('calls').where({ project_id: P, route: '/alive' })
      .select('dedupe_key', 'status', 'request')).find((c) => c.dedupe_key.startsWith(`event:${id}:`) && c.status === 'success'), timeoutMs);
    const event = JSON.parse(Buffer.from(call.request.body, 'base64').toString());
    assert.equal(event.data.object, `alive/${label}.txt`);
  }
}
