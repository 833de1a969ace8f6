import assert from 'node:assert/strict';
import request from 'supertest';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import { MAX_PRIORITY, PRIORITY_AGING_S } from '../../../src/domain/priority';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';

/** A function that answers at once and remembers the order calls reached it. */
class OrderExecutor implements Executor {
  readonly order: string[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}
  async run(req: ExecutorCall): Promise<CallOutcome> {
    this.order.push(req.id);
    const at = new Date();
    return { status: 'success', kind: 'cold', startedAt: at, completedAt: at, exitCode: 0, result: Buffer.from('ok'),
      resultTruncated: false, log: Buffer.alloc(0), logTruncated: false };
  }
}

describe('priorities: fields, validation and the in-process queue order (PostgreSQL)', function () {
  this.timeout(30_000);
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  const run = async (path: string, priority?: string) => {
    const r = api().post(`/v1/r/demo/p${path}`).type('text').send('x');
    const res = priority === undefined ? await r : await r.set('Fresco-Priority', priority);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.call_id as string;
  };
  const claimAll = async () => {
    const claimed = [];
    // One at a time, as an engine with one free slot takes them.
    for (;;) {
      const [c] = await app.services.callStore.claimQueued('prio-test', 60_000, 1);
      if (!c) return claimed;
      claimed.push(c.call);
    }
  };

  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig(), { executor: new OrderExecutor() });
    await api().post('/v1/demo/apps').send({ app: { name: 'p' } });
  });
  after(() => t.drop());

  it('gives routes priority 4 unless set, validates 0–9 naming the field, and shows it', async () => {
    const plain = await api().post('/v1/demo/apps/p/routes').send({ route: { path: '/plain', image: 'x:1', type: 'async' } });
    assert.equal(plain.body.route.priority, 4);
    for (const bad of [10, -1, 2.5, 'high']) {
      const r = await api().post('/v1/demo/apps/p/routes').send({ route: { path: '/bad', image: 'x:1', priority: bad } });
      assert.equal(r.status, 400, String(bad));
      assert.match(r.body.error.message, /route\.priority/);
    }
    const low = await api().post('/v1/demo/apps/p/routes').send({ route: { path: '/low', image: 'x:1', type: 'async', priority: 1 } });
    assert.equal(low.body.route.priority, 1);
    const set = await api().put('/v1/demo/apps/p/routes/plain').send({ route: { priority: 6 } });
    assert.equal(set.body.route.priority, 6);
    assert.equal((await api().get('/v1/demo/apps/p/routes/plain')).body.route.priority, 6);
    assert.equal((await api().put('/v1/demo/apps/p/routes/plain').send({ route: { priority: 12 } })).status, 400);
  });

  it('takes the route priority or the run\'s Fresco-Priority, refusing a bad one with a 400 naming it', async () => {
    const byRoute = await run('/low');
    const byHeader = await run('/low', '9');
    assert.equal((await api().get(`/v1/demo/calls/${byRoute}`)).body.call.priority, 1);
    assert.equal((await api().get(`/v1/demo/calls/${byHeader}`)).body.call.priority, 9);
    const bad = await api().post('/v1/r/demo/p/low').set('Fresco-Priority', '10').type('text').send('x');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /Fresco-Priority/);
    await claimAll();
  });

  it('serves a backlog highest priority first, in arrival order within a priority', async () => {
    const lows = [await run('/low'), await run('/low'), await run('/low')];
    const mid = await run('/plain');
    const high = await run('/low', '8');
    const order = (await claimAll()).map((c) => c.id);
    assert.deepEqual(order, [high, mid, ...lows]);
  });

  it('lets a low call that waited (9 − p) × aging seconds go before newer high ones', async () => {
    const old = await run('/low', '0');
    const highs = [await run('/low', '9'), await run('/low', '9')];
    // As if it had waited the bound already (the database's clock decides its age).
    await t.db('calls').where({ id: old }).update({ created_at: t.db.raw(`now() - interval '${MAX_PRIORITY * PRIORITY_AGING_S + 1} seconds'`) });
    const order = (await claimAll()).map((c) => c.id);
    assert.deepEqual(order, [old, ...highs]);
    // Half-way it is still overtaken by the high ones.
    const young = await run('/low', '0');
    const high2 = await run('/low', '9');
    await t.db('calls').where({ id: young }).update({ created_at: t.db.raw(`now() - interval '${4 * PRIORITY_AGING_S} seconds'`) });
    assert.deepEqual((await claimAll()).map((c) => c.id), [high2, young]);
  });

  it('the in-process queue runs a backlog in that order', async () => {
    const executor = new OrderExecutor();
    // An engine with one slot, started once the backlog is queued.
    const engine = buildTestApi(t.db, testConfig({ FRESCO_ENGINE_ASYNC_PREFETCH: '1' }), { executor });
    const lows = [await run('/low'), await run('/low')];
    const high = await run('/low', '7');
    const consumer = await engine.services.queue.consume(engine.services.asyncRunner!, 1);
    try {
      await waitFor('the backlog to run', async () => {
        const calls = await Promise.all([...lows, high].map(async (id) => (await api().get(`/v1/demo/calls/${id}`)).body.call));
        return calls.every((c) => c.status === 'success');
      }, 10_000, 50);
    } finally {
      await consumer.stop();
    }
    assert.deepEqual(executor.order, [high, ...lows]);
  });
});
