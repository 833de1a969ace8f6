import assert from 'node:assert/strict';
import { waitFor } from '../../helpers/wait';
import { AmqpCallQueue, AmqpConnection, type ConsumerHandle, QueueUnavailableError } from '../../../src/queue';
import { Broker, killConnections, uniq } from './broker';

// Connection loss and an unreachable broker: nothing accepted is lost, nothing hangs.

describe('queue: recovery (RabbitMQ)', () => {
  const broker = new Broker();
  const handles: ConsumerHandle[] = [];

  before(() => broker.open());
  afterEach(async () => { await Promise.all(handles.splice(0).map((h) => h.stop())); });
  after(() => broker.cleanup());

  it('reconnects after the broker closes the connection mid-stream; every accepted publish is consumed', async () => {
    const name = uniq('recover');
    broker.track('queue', name, `${name}.dlq`);
    broker.track('exchange', `${name}.dlx`);
    const conn = broker.connect('recover', { publishTimeoutMs: 10_000 });
    const states: string[] = [];
    conn.on('state', (s: string) => states.push(s));
    const calls = new AmqpCallQueue(conn, { name });
    await calls.declare();
    await conn.waitConnected(5000);
    const seen = new Set<string>();
    handles.push(await calls.consumeCalls(async (id) => { seen.add(id); }, 10));

    const accepted: string[] = [];
    const publishing = (async () => {
      for (let i = 0; i < 300; i++) {
        await calls.publish(`r${i}`);
        accepted.push(`r${i}`);
      }
    })();
    await waitFor('some traffic', () => accepted.length >= 50);
    assert.equal(await killConnections(uniq('recover')), 1);
    await waitFor('the reconnect', () => states.includes('reconnecting') && conn.state === 'connected', 10_000);
    await publishing;
    assert.equal(accepted.length, 300);
    await waitFor('every accepted message', () => accepted.every((id) => seen.has(id)), 15_000);
  });

  it('re-declares topology after reconnect (queue deleted while down is back)', async () => {
    const name = uniq('redeclare');
    broker.track('queue', name, `${name}.dlq`);
    broker.track('exchange', `${name}.dlx`);
    const conn = broker.connect('redeclare', { publishTimeoutMs: 10_000 });
    const calls = new AmqpCallQueue(conn, { name });
    await calls.declare();
    await conn.waitConnected(5000);
    const got: string[] = [];
    handles.push(await calls.consumeCalls(async (id) => { got.push(id); }));
    const ch = await broker.channel();
    await ch.deleteQueue(name); // the broker cancels our consumer too
    await killConnections(uniq('redeclare'));
    await waitFor('the queue to be re-declared', async () => (await broker.depth(name)) === 0, 10_000);
    await calls.publish('after');
    await waitFor('the consumer to be re-registered', () => got.includes('after'), 10_000);
  });

  it('rejects a publish with FRESCO_QUEUE_UNAVAILABLE after the timeout when the broker is unreachable', async () => {
    const conn = new AmqpConnection({
      transportUrl: 'rabbit://guest:secret@127.0.0.1:1/', backoff: { initialMs: 50, maxMs: 200 }, publishTimeoutMs: 300,
    });
    await conn.start();
    try {
      await assert.rejects(new AmqpCallQueue(conn, { name: uniq('unreachable') }).publish('c1'),
        (e: { code?: string; status?: number; message: string }) => e instanceof QueueUnavailableError &&
          e.code === 'FRESCO_QUEUE_UNAVAILABLE' && e.status === 503 && !e.message.includes('secret'));
      await assert.rejects(conn.waitConnected(100), /not reachable within 100 ms/);
    } finally {
      await conn.stop();
    }
  });

  it('start and stop are idempotent and safe concurrently', async () => {
    const conn = broker.connect('idempotent');
    await Promise.all([conn.start(), conn.start()]);
    await conn.waitConnected(5000);
    await Promise.all([conn.stop(), conn.stop()]);
    assert.equal(conn.state, 'stopped');
    await conn.stop();
    await conn.start();
    await conn.waitConnected(5000);
    await conn.stop();
    await waitFor('the broker to forget the connection', async () => (await killConnections(uniq('idempotent'))) === 0);
  });
});
