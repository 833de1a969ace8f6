import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';
import { AsyncCallRunner } from '../../../src/services/async-call-runner';
import { Sweeper } from '../../../src/services/sweeper';
import { RunningCalls } from '../../../src/services/running-calls';

describe('async calls: at least once, never lost (PostgreSQL, in-process queue)', () => {
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  const executor = new ScriptedExecutor();
  /** Another process's async call runner: its own engine id and lease. */
  const runnerOf = (engineId: string) => new AsyncCallRunner({
    calls: app.services.callStore, executor, resolver: app.services.resolver,
    running: new RunningCalls({ calls: app.services.callStore }, { engineId, leaseMs: 5000, visibleAfterMs: 1000 }),
  }, 1);
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig({ FRESCO_ENGINE_ASYNC_PREFETCH: '8', FRESCO_ENGINE_CALL_LEASE: '5' }), { executor });
    await api().post('/v1/demo/apps').send({ app: { name: 'q' } });
    await api().post('/v1/demo/apps/q/routes').send({ route: { path: '/work', image: 'x:1', type: 'async' } });
  });
  after(() => t.drop());

  it('runs each of 1000 accepted calls to success exactly once', async function () {
    this.timeout(120_000);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) =>
        api().post('/v1/r/demo/q/work').type('text').send(`job-${i + j}`)));
      for (const r of batch) { assert.equal(r.status, 202); ids.push(r.body.call_id); }
    }
    const consumer = await app.services.queue.consume(app.services.asyncRunner!, 8);
    try {
      await waitFor('all 1000 calls to finish', async () =>
        Number((await t.db('calls').whereIn('id', ids).where({ status: 'success' }).count({ n: '*' }))[0].n) === 1000, 100_000, 200);
    } finally {
      await consumer.stop();
    }
    const rows = await t.db('calls').whereIn('id', ids).select('id', 'status', 'attempts', 'result');
    assert.equal(rows.length, 1000);
    assert.ok(rows.every((r) => r.status === 'success' && r.attempts === 1));
    const runs = executor.seen.filter((s) => ids.includes(s.id));
    assert.equal(runs.length, 1000, 'each call ran exactly once');
    assert.equal(new Set(runs.map((s) => s.id)).size, 1000);
  });

  it("re-runs a call whose engine died (lease lapsed) and marks it error after too many attempts", async () => {
    const res = await api().post('/v1/r/demo/q/work').type('text').send('survivor');
    // An engine claims it and dies: it never renews its lease.
    const claimed = await app.services.callStore.claim(res.body.call_id, 'dead-engine', 100);
    assert.ok(claimed);
    await t.db('calls').where({ id: res.body.call_id }).update({ lease_until: t.db.raw("now() - interval '1 second'") });
    const sweeper = new Sweeper({ calls: app.services.callStore, queue: app.services.queue },
      { intervalMs: 60_000, maxAttempts: 3, retentionMs: 3600_000 });
    const survivor = runnerOf('survivor');
    await sweeper.sweep();
    assert.equal(await survivor.claimAndRun(res.body.call_id), true);
    const call = (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
    assert.equal(call.status, 'success');
    assert.equal(call.result, 'echo:survivor');
    assert.equal(call.attempts, 2);

    const doomed = await api().post('/v1/r/demo/q/work').type('text').send('doomed');
    await t.db('calls').where({ id: doomed.body.call_id })
      .update({ status: 'running', attempts: 3, engine_id: 'gone', lease_until: t.db.raw("now() - interval '1 second'") });
    await sweeper.sweep();
    const failed = (await api().get(`/v1/demo/calls/${doomed.body.call_id}`)).body.call;
    assert.equal(failed.status, 'error');
    assert.match(failed.error, /stopped answering 3 times/);
  });

  it('puts a call back in the queue when Docker is unavailable, then runs it', async () => {
    const res = await api().post('/v1/r/demo/q/work').type('text').send('unavailable-once');
    const engine = runnerOf('e-retry');
    await assert.rejects(engine.claimAndRun(res.body.call_id), /put back in the queue/);
    assert.equal((await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call.status, 'queued');
    assert.equal(await engine.claimAndRun(res.body.call_id), true);
    const call = (await api().get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
    assert.equal(call.status, 'success');
    assert.equal(call.result, 'echo:unavailable-once');
    assert.equal(executor.seen.filter((s) => s.id === res.body.call_id).length, 2);
  });

  it('a cancelled queued call never runs', async () => {
    const res = await api().post('/v1/r/demo/q/work').type('text').send('never');
    assert.equal((await api().delete(`/v1/demo/calls/${res.body.call_id}`)).body.call.status, 'cancelled');
    const engine = runnerOf('e2');
    assert.equal(await engine.claimAndRun(res.body.call_id), false);
    assert.ok(!executor.seen.some((s) => s.id === res.body.call_id));
  });

  it('runs a call accepted while this engine has a free slot at once, as its claim; with none free, the call waits its turn', async () => {
    const consumer = await app.services.queue.consume(app.services.asyncRunner!, 8);
    const get = async (id: string) => (await api().get(`/v1/demo/calls/${id}`)).body.call;
    const hanging: string[] = [];
    // The calls the engine took from the queue (a look that found them), as opposed to at their accept.
    const store = app.services.callStore;
    const claimQueued = store.claimQueued;
    const picked: string[] = [];
    store.claimQueued = async (...args) => {
      const claimed = await claimQueued.apply(store, args);
      picked.push(...claimed.map((c) => c.call.id));
      return claimed;
    };
    try {
      await waitFor('the engine to look at the queue once', () => {
        const slot = app.services.queue.runHere?.();
        slot?.release();
        return slot !== undefined;
      });
      for (let i = 0; i < 8; i++) {
        const res = await api().post('/v1/r/demo/q/work').type('text').send('hang');
        assert.equal(res.status, 202);
        hanging.push(res.body.call_id);
        const call = await get(res.body.call_id);
        assert.deepEqual([call.status, call.attempts], ['running', 1], 'recorded as running here before the 202');
      }
      await waitFor('the eight calls to run', () => hanging.every((id) => executor.seen.some((s) => s.id === id)));
      assert.deepEqual(picked, [], 'run at their accept, not taken from the queue');
      // The engine's eight slots are taken: the next call is queued, and runs when one is free.
      const next = (await api().post('/v1/r/demo/q/work').type('text').send('next')).body.call_id;
      assert.equal((await get(next)).status, 'queued');
      assert.equal((await api().delete(`/v1/demo/calls/${hanging[0]}`)).status, 200);
      await waitFor('the queued call to run', async () => (await get(next)).status === 'success');
      assert.equal((await get(next)).attempts, 1);
      assert.deepEqual(picked, [next]);
    } finally {
      store.claimQueued = claimQueued;
      for (const id of hanging) await api().delete(`/v1/demo/calls/${id}`);
      await consumer.stop();
    }
    for (const id of hanging) assert.equal((await get(id)).status, 'cancelled');
  });

  it('purges finished records past the retention time', async () => {
    const old = await api().post('/v1/r/demo/q/work').type('text').send('old');
    await t.db('calls').where({ id: old.body.call_id }).update({ status: 'success', completed_at: new Date(Date.now() - 10 * 86400_000) });
    const purged = await app.services.callStore.purge(new Date(Date.now() - 7 * 86400_000));
    assert.equal(purged, 1);
    assert.equal((await api().get(`/v1/demo/calls/${old.body.call_id}`)).status, 404);
  });
});
