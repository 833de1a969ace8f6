import assert from 'node:assert/strict';
import { waitFor } from '../../helpers/wait';
import { AmqpCallQueue, type ConsumerHandle, PoisonMessageError, type QueueMessage } from '../../../src/queue';
import { Broker, uniq } from './broker';

// Publisher confirms, manual ack, requeue and dead-lettering on the real RabbitMQ.

describe('queue: publish and consume (RabbitMQ)', () => {
  const broker = new Broker();
  const handles: ConsumerHandle[] = [];

  before(() => broker.open());
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
  });
  after(() => broker.cleanup());

  /** A connection with a declared call queue (AmqpCallQueue topology) named uniq(label). */
  async function setup(label: string) {
    const name = uniq(label);
    broker.track('queue', name, `${name}.dlq`);
    broker.track('exchange', `${name}.dlx`);
    const conn = broker.connect(label, { publishTimeoutMs: 5000 });
    const calls = new AmqpCallQueue(conn, { name });
    await calls.declare();
    await conn.waitConnected(5000);
    const publisher = { sendToQueue: (q: string, body: Buffer, o?: { messageId?: string; headers?: Record<string, unknown> }) =>
      conn.publish('', q, body, o) };
    return { name, conn, publisher, calls };
  }

  it('round-trips a persistent message with confirms, message id and headers', async () => {
    const { name, conn, publisher } = await setup('roundtrip');
    const got: QueueMessage[] = [];
    handles.push(conn.consume(name, async (m) => { got.push(m); }));
    await publisher.sendToQueue(name, Buffer.from('hello'), { messageId: 'm-1', headers: { 'x-k': 'v' } });
    await waitFor('the message', () => got.length === 1);
    assert.equal(got[0].content.toString(), 'hello');
    assert.equal(got[0].messageId, 'm-1');
    assert.equal(got[0].headers['x-k'], 'v');
    assert.equal(got[0].redelivered, false);
    assert.equal(got[0].routingKey, name);
    await waitFor('the ack', async () => (await broker.depth(name)) === 0);
  });

  it('delivers 1000 messages exactly once each with prefetch 10', async () => {
    const { name, conn, publisher } = await setup('thousand');
    const seen = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    handles.push(conn.consume(name, async (m) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.set(m.messageId!, (seen.get(m.messageId!) ?? 0) + 1);
      inFlight--;
    }, { prefetch: 10 }));
    await Promise.all(Array.from({ length: 1000 }, (_, i) => publisher.sendToQueue(name, Buffer.from(String(i)), { messageId: `m${i}` })));
    await waitFor('1000 messages', () => seen.size === 1000, 20_000);
    await waitFor('the queue to drain', async () => (await broker.depth(name)) === 0);
    assert.ok([...seen.values()].every((n) => n === 1), 'a message was delivered twice');
    assert.ok(maxInFlight <= 10, `prefetch exceeded: ${maxInFlight}`);
  });

  it('acks finished messages together, yet one still running never holds back the acks of those after it', async () => {
    const { name, conn, publisher } = await setup('held');
    const seen = new Set<string>();
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    handles.push(conn.consume(name, async (m) => {
      // The first message runs until all the others are done: with prefetch 3 they can only be
      // delivered if the ones finished before them were acked while it still ran.
      if (m.messageId === 'h0') await held;
      seen.add(m.messageId!);
    }, { prefetch: 3 }));
    await Promise.all(Array.from({ length: 30 }, (_, i) => publisher.sendToQueue(name, Buffer.from(String(i)), { messageId: `h${i}` })));
    await waitFor('the 29 messages behind the held one', () => seen.size === 29, 20_000);
    assert.ok(!seen.has('h0'));
    release();
    await waitFor('the held one', () => seen.size === 30, 5000);
    await waitFor('the queue to drain', async () => (await broker.depth(name)) === 0);
    // Stopping the consumer returns what it left unacked to the queue: nothing.
    await handles.pop()!.stop();
    assert.equal(await broker.depth(name), 0, 'every message was acked');
  });

  it('requeues a message whose handler throws (after ~1 s), then succeeds', async () => {
    const { name, conn, publisher } = await setup('requeue');
    const attempts: { redelivered: boolean; at: number }[] = [];
    handles.push(conn.consume(name, async (m) => {
      attempts.push({ redelivered: m.redelivered, at: Date.now() });
      if (attempts.length < 2) throw new Error('transient');
    }));
    await publisher.sendToQueue(name, Buffer.from('x'));
    await waitFor('the second attempt', () => attempts.length === 2, 5000);
    assert.deepEqual(attempts.map((a) => a.redelivered), [false, true]);
    const gap = attempts[1].at - attempts[0].at;
    assert.ok(gap >= 900 && gap < 3000, `requeue delay ${gap} ms`);
    await waitFor('the ack', async () => (await broker.depth(name)) === 0);
    assert.equal(await broker.depth(`${name}.dlq`), 0);
  });

  it('dead-letters a PoisonMessageError and loses nothing else', async () => {
    const { name, conn, publisher } = await setup('poison');
    const good: string[] = [];
    handles.push(conn.consume(name, async (m) => {
      if (m.content.toString() === 'bad') throw new PoisonMessageError('cannot parse');
      good.push(m.messageId!);
    }));
    for (const [i, body] of ['ok', 'bad', 'ok', 'bad', 'ok'].entries()) {
      await publisher.sendToQueue(name, Buffer.from(body), { messageId: `p${i}` });
    }
    await waitFor('two dead letters', async () => (await broker.depth(`${name}.dlq`)) === 2);
    assert.deepEqual(good.sort(), ['p0', 'p2', 'p4']);
    const ch = await broker.channel();
    const dead = await ch.get(`${name}.dlq`);
    assert.ok(dead && dead.content.toString() === 'bad');
    assert.equal(dead.properties.headers?.['x-death']?.[0]?.reason, 'rejected');
    await ch.close();
  });

  it('rejects a publish nothing routes instead of dropping it', async () => {
    const { publisher } = await setup('unroutable');
    await assert.rejects(publisher.sendToQueue(uniq('no-such-queue'), Buffer.from('x')),
      (e: { code?: string; message: string }) => e.code === 'FRESCO_QUEUE_UNAVAILABLE' && /no queue is bound/.test(e.message));
  });

  it('carries call ids through AmqpCallQueue and consumeCalls; junk goes to the DLQ', async () => {
    const { name, calls, publisher } = await setup('calls');
    // Persistent, id as body and message_id, on a durable queue with its DLX.
    await calls.publish('first-call');
    const ch = await broker.channel();
    const raw = await ch.get(name, { noAck: true });
    assert.ok(raw);
    assert.equal(raw.content.toString(), 'first-call');
    assert.equal(raw.properties.messageId, 'first-call');
    assert.equal(raw.properties.deliveryMode, 2);
    assert.equal((await ch.checkQueue(`${name}.dlq`)).messageCount, 0);
    await ch.close();
    const ran: string[] = [];
    handles.push(await calls.consumeCalls(async (id) => { ran.push(id); }, 4));
    await calls.publish('0b6c4c0e-1f8e-4b55-9d7e-5d2f0d4a3c11');
    await publisher.sendToQueue(name, Buffer.from('{not an id}'));
    await waitFor('the call', () => ran.length === 1);
    assert.equal(ran[0], '0b6c4c0e-1f8e-4b55-9d7e-5d2f0d4a3c11');
    await waitFor('junk dead-lettered', async () => (await broker.depth(`${name}.dlq`)) === 1);
  });
});
