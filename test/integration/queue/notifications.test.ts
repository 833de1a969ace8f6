import assert from 'node:assert/strict';
import { waitFor } from '../../helpers/wait';
import { type ConsumerHandle, declareNotificationQueue, type NotificationQueue, type QueueMessage } from '../../../src/queue';
import { Broker, topology, uniq } from './broker';

// Fresco's own notification queue on exchanges declared the way oslo.messaging declares them
// (topic, non-durable): binding must not 406, must not change the exchange, and must pick up
// exchanges that appear later.

describe('queue: notification listener topology (RabbitMQ)', () => {
  const broker = new Broker();
  const handles: ConsumerHandle[] = [];
  const nqs: NotificationQueue[] = [];

  before(() => broker.open());
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
    for (const nq of nqs.splice(0)) nq.stop();
  });
  after(() => broker.cleanup());

  function names(label: string) {
    const queue = uniq(`${label}-notifications`);
    broker.track('queue', queue, `${queue}.dlq`);
    broker.track('exchange', `${queue}.dlx`);
    return queue;
  }

  /** Publishes like the Swift proxy (ceilometermiddleware): persistent JSON on `exchange`. */
  async function oslo(exchange: string, body: object): Promise<void> {
    const ch = await broker.channel();
    ch.publish(exchange, 'notifications.info', Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8' });
    await ch.close();
  }

  it('binds to a non-durable "swift"-like exchange without 406 and receives from it', async () => {
    const swift = uniq('swift');
    broker.track('exchange', swift);
    const pub = await broker.channel();
    await pub.assertExchange(swift, 'topic', { durable: false }); // what oslo.messaging does by default
    // ceilometer's own queue (named like `notifications.info`, here made unique): it keeps its copy.
    const ceilometer = uniq('ceilometer-notifications.info');
    broker.track('queue', ceilometer);
    await pub.assertQueue(ceilometer, { durable: false, exclusive: true });
    await pub.bindQueue(ceilometer, swift, 'notifications.info');
    const queue = names('swift');
    const conn = broker.connect('listener-swift');
    const nq = await declareNotificationQueue(conn, { queue, exchanges: [swift] });
    nqs.push(nq);
    await conn.waitConnected(5000);
    assert.deepEqual(nq.missing, []);
    const got: QueueMessage[] = [];
    handles.push(nq.consumeNotifications(async (m) => { got.push(m); }, 5));
    await oslo(swift, { event_type: 'objectstore.http.request', payload: {} });
    await waitFor('the notification', () => got.length === 1);
    assert.equal(got[0].exchange, swift);
    assert.equal(got[0].routingKey, 'notifications.info');
    assert.equal(JSON.parse(got[0].content.toString()).event_type, 'objectstore.http.request');
    assert.equal(got[0].contentEncoding, 'utf-8');
    assert.equal(got[0].redelivered, false);
    assert.equal((await pub.checkQueue(ceilometer)).messageCount, 1, "ceilometer's copy is untouched");
    // The publisher's own (non-durable) declare still works: we did not change the exchange.
    await pub.assertExchange(swift, 'topic', { durable: false });
    await pub.close();
  });

  it('skips a missing exchange, binds the others, and binds it once it appears', async () => {
    const present = uniq('glance');
    const absent = uniq('nova');
    broker.track('exchange', present, absent);
    const admin = await broker.channel();
    await admin.assertExchange(present, 'topic', { durable: false });
    const queue = names('missing');
    const conn = broker.connect('listener-missing');
    const nq = await declareNotificationQueue(conn, { queue, exchanges: [absent, present], retryMissingMs: 100 });
    nqs.push(nq);
    await conn.waitConnected(5000);
    assert.deepEqual(nq.missing, [absent]);
    // We must not have created it (its durability is the publisher's to choose).
    const probe = await broker.channel();
    await assert.rejects(probe.checkExchange(absent), /404/);
    const got: string[] = [];
    handles.push(nq.consumeNotifications(async (m) => { got.push(m.exchange); }, 10));
    await admin.assertExchange(absent, 'topic', { durable: false });
    await waitFor('the late exchange to be bound', () => nq.missing.length === 0, 5000);
    await oslo(absent, { event_type: 'compute.instance.create.end' });
    await oslo(present, { event_type: 'image.upload' });
    await waitFor('both notifications', () => got.length === 2);
    assert.deepEqual(got.sort(), [present, absent].sort());
    await admin.close();
  });

  it('declares missing exchanges with the configured durability when told to', async () => {
    const ex = uniq('heat');
    broker.track('exchange', ex);
    const queue = names('declare');
    const conn = broker.connect('listener-declare');
    const nq = await declareNotificationQueue(conn, { queue, exchanges: [ex], exchangeDurable: 'false' });
    nqs.push(nq);
    await conn.waitConnected(5000);
    assert.deepEqual(nq.missing, []);
    // The broker's own account of what Fresco declared (nothing in this test declares anything).
    const t = await topology(uniq(''));
    assert.deepEqual(t.exchanges.filter((e) => e.name === ex), [{ name: ex, type: 'topic', durable: false, auto_delete: false }]);
    assert.deepEqual(t.bindings.filter((b) => b.source_name === ex).map((b) => [b.destination_kind, b.destination_name, b.routing_key]),
      [['queue', queue, 'notifications.info']]);
    const q = t.queues.find((x) => x.name === queue);
    assert.equal(q?.durable, true);
    assert.deepEqual(q?.arguments, [['x-dead-letter-exchange', 'longstr', `${queue}.dlx`]]);
    // So an oslo publisher with default flags declares it again without a 406.
    const ch = await broker.channel();
    await ch.assertExchange(ex, 'topic', { durable: false });
    await ch.close();
  });

  it("refuses to use ceilometer's queue names", async () => {
    const conn = broker.connect('listener-refuse');
    await assert.rejects(declareNotificationQueue(conn, { queue: 'notifications.info', exchanges: ['swift'] }), /compete/);
  });
});
