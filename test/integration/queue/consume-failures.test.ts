import assert from 'node:assert/strict';
import { waitFor } from '../../helpers/wait';
import { AmqpCallQueue, type ConsumerHandle } from '../../../src/queue';
import { Broker, uniq } from './broker';

// The consumer's one classification of a failed message (issue 18): an error `isTransient`
// rejects dead-letters it at once; a transient one is retried with a growing delay, and
// dead-lettered after `maxAttempts`.

describe('queue: consumer failure classification (RabbitMQ)', () => {
  const broker = new Broker();
  const handles: ConsumerHandle[] = [];

  before(() => broker.open());
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
  });
  after(() => broker.cleanup());

  async function setup(label: string) {
    const name = uniq(label);
    broker.track('queue', name, `${name}.dlq`);
    broker.track('exchange', `${name}.dlx`);
    const conn = broker.connect(label, { publishTimeoutMs: 5000 });
    await new AmqpCallQueue(conn, { name }).declare();
    await conn.waitConnected(5000);
    return { name, conn };
  }

  const transient = (err: unknown) => (err as { code?: string }).code === 'ECONNREFUSED';

  it('dead-letters at once a message whose handler fails for a lasting reason', async () => {
    const { name, conn } = await setup('lasting');
    let tries = 0;
    handles.push(conn.consume(name, async () => { tries++; throw new RangeError('Maximum call stack size exceeded'); },
      { isTransient: transient }));
    await conn.publish('', name, Buffer.from('x'), { messageId: 'lasting' });
    await waitFor('the dead letter', async () => (await broker.depth(`${name}.dlq`)) === 1);
    assert.equal(tries, 1);
    assert.equal(await broker.depth(name), 0);
  });

  it('retries a transient failure with a growing delay, then dead-letters it after maxAttempts', async () => {
    const { name, conn } = await setup('transient');
    const at: number[] = [];
    handles.push(conn.consume(name, async () => {
      at.push(Date.now());
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }, { isTransient: transient, requeueDelayMs: 200, maxRequeueDelayMs: 1000, maxAttempts: 4 }));
    await conn.publish('', name, Buffer.from('x'), { messageId: 'transient' });
    await waitFor('the dead letter', async () => (await broker.depth(`${name}.dlq`)) === 1, 10_000);
    assert.equal(at.length, 4);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    assert.ok(gaps[0] >= 180 && gaps[1] >= 380 && gaps[2] >= 780, `delays grow: ${gaps.join(', ')} ms`);
  });
});
