import assert from 'node:assert/strict';
import request from 'supertest';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import { AmqpCallQueue } from '../../../src/queue';
import type { QueueConsumer } from '../../../src/domain/queue';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';
import { Broker, uniq } from './broker';

/** A function whose first call runs until `release()`: the engine is busy while a backlog builds up. */
class BusyFirstExecutor implements Executor {
  private releaseFirst!: () => void;
  private readonly firstDone = new Promise<void>((r) => { this.releaseFirst = r; });
  private runs = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}
  release(): void {
    this.releaseFirst();
  }
  async run(req: ExecutorCall): Promise<CallOutcome> {
    const startedAt = new Date();
    if (this.runs++ === 0) await this.firstDone;
    // Each call takes a few ms of work, so the start times recorded on the calls are distinct.
    await new Promise((r) => setTimeout(r, 5));
    return { status: 'success', kind: 'cold', startedAt, completedAt: new Date(), exitCode: 0, result: Buffer.from(req.id),
      resultTruncated: false, log: Buffer.alloc(0), logTruncated: false };
  }
}

describe('priorities on RabbitMQ: a high-priority call overtakes a backlog (RabbitMQ, PostgreSQL)', function () {
  this.timeout(60_000);
  const broker = new Broker();
  let t: TestDb;
  let consumer: QueueConsumer | undefined;

  before(async () => {
    await broker.open();
    t = await createTestDb();
  });
  after(async () => {
    await consumer?.stop();
    await broker.cleanup();
    await t?.drop();
  });

  it('serves the queued calls highest priority first, as their start times show', async () => {
    const name = uniq('prio-calls');
    broker.track('queue', name, `${name}.dlq`);
    broker.track('exchange', `${name}.dlx`);
    const conn = broker.connect('prio', { publishTimeoutMs: 5000 });
    const queue = new AmqpCallQueue(conn, { name });
    await queue.declare();
    await conn.waitConnected(5000);
    const executor = new BusyFirstExecutor();
    const app = buildTestApi(t.db, testConfig({ FRESCO_ENGINE_ASYNC_PREFETCH: '1' }), { executor, queue });
    const api = () => request(app.callback());
    await api().post('/v1/demo/apps').send({ app: { name: 'q' } });
    const route = await api().post('/v1/demo/apps/q/routes').send({ route: { path: '/work', image: 'x:1', type: 'async', priority: 2 } });
    assert.equal(route.body.route.priority, 2);
    const run = async (priority?: string) => {
      const r = api().post('/v1/r/demo/q/work').type('text').send('x');
      const res = priority ? await r.set('Fresco-Priority', priority) : await r;
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.call_id as string;
    };
    const callOf = async (id: string) => (await api().get(`/v1/demo/calls/${id}`)).body.call;

    // One engine slot (prefetch 1), busy with the first call.
    consumer = await app.services.queue.consume(app.services.asyncRunner!, 1);
    const first = await run();
    await waitFor('the first call to be running', async () => (await callOf(first)).status === 'running', 10_000, 50);
    const lows = [await run(), await run(), await run(), await run()];
    const high = await run('9');
    await waitFor('the backlog to wait in the broker', async () => (await broker.depth(name)) === 5, 10_000, 50);
    executor.release();

    const all = [first, ...lows, high];
    type Wire = { id: string; status: string; priority: number; started_at: string };
    const calls: Wire[] = await waitFor('every call to finish', async () => {
      const cs: Wire[] = await Promise.all(all.map(callOf));
      return cs.every((c) => c.status === 'success') ? cs : undefined;
    }, 20_000, 100);
    assert.deepEqual(calls.map((c) => c.priority), [2, 2, 2, 2, 2, 9]);
    const byStart = [...calls].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at)).map((c) => c.id);
    assert.deepEqual(byStart, [first, high, ...lows], 'the high-priority call started right after the busy one, the lows in order');
  });
});
