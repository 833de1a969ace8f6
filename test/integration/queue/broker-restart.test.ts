import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../../helpers/wait';
import { AmqpCallQueue, type ConsumerHandle } from '../../../src/queue';
import { Broker, uniq } from './broker';

// A full RabbitMQ restart (stop_app/start_app): confirmed persistent messages on the durable queue
// survive it, and the client comes back by itself. It disturbs every other user of the broker
// (mocha runs the files one after another); RabbitMQ is started again even if the test fails.

const run = promisify(execFile);
describe('queue: RabbitMQ restart', () => {
  const broker = new Broker();
  let consumer: ConsumerHandle | undefined;

  before(() => broker.open());
  after(async () => {
    await run('rabbitmqctl', ['start_app']).catch(() => undefined);
    await consumer?.stop();
    await broker.open(); // the admin connection died with the restart
    await broker.cleanup();
  });

  it('keeps confirmed messages and reconnects publisher and consumer', async function () {
    this.timeout(30_000);
    const name = uniq('restart');
    broker.track('queue', name, `${name}.dlq`);
    broker.track('exchange', `${name}.dlx`);
    const conn = broker.connect('restart', { publishTimeoutMs: 20_000 });
    const calls = new AmqpCallQueue(conn, { name });
    await calls.declare();
    await conn.waitConnected(5000);
    for (let i = 0; i < 20; i++) await calls.publish(`before${i}`);

    await run('rabbitmqctl', ['stop_app']);
    await waitFor('the client to notice', () => conn.state !== 'connected', 10_000);
    const during = calls.publish('during');
    await run('rabbitmqctl', ['start_app']);
    await during;

    const seen = new Set<string>();
    consumer = await calls.consumeCalls(async (id) => { seen.add(id); });
    await waitFor('all 21 messages', () => seen.size === 21, 15_000);
    assert.ok(seen.has('before0') && seen.has('during'));
  });
});
