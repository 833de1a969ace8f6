import assert from 'node:assert/strict';
import request from 'supertest';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import { Sweeper } from '../../../src/services/sweeper';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';

/** A function that fails until its attempt number (FRESCO_ATTEMPT / Fresco-Attempt) reaches the body's number. */
class AttemptExecutor implements Executor {
  readonly seen: ExecutorCall[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}
  async run(req: ExecutorCall): Promise<CallOutcome> {
    this.seen.push(req);
    const startedAt = new Date();
    const attempt = Number(req.headers['fresco-attempt']);
    assert.equal(attempt, req.attempt, 'the header and the env carry the same attempt');
    const succeedAt = Number(req.body.toString());
    const base = { kind: 'cold' as const, startedAt, resultTruncated: false, logTruncated: false, log: Buffer.from(`attempt ${attempt} log\n`) };
    if (attempt < succeedAt) return { ...base, status: 'error', exitCode: 1, result: Buffer.alloc(0), error: `failed on attempt ${attempt}`, completedAt: new Date() };
    return { ...base, status: 'success', exitCode: 0, result: Buffer.from(`ok on attempt ${attempt}`), completedAt: new Date() };
  }
}

describe('retry policy per route: durable backoff (PostgreSQL)', function () {
  this.timeout(60_000);
  let t: TestDb;
  const executor = new AttemptExecutor();
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  const runsOf = (id: string) => executor.seen.filter((s) => s.id === id).length;

  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig(), { executor });
    await api().post('/v1/demo/apps').send({ app: { name: 'r' } });
    const created = await api().post('/v1/demo/apps/r/routes').send({ route: {
      path: '/flaky', image: 'x:1', type: 'async', retries: 3, retry_delay: 1, retry_backoff: 4, retry_max_delay: 60, retry_on: ['error'],
    } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.deepEqual(
      [created.body.route.retries, created.body.route.retry_delay, created.body.route.retry_backoff, created.body.route.retry_on],
      [3, 1, 4, ['error']]);
    await api().post('/v1/demo/apps/r/routes').send({ route: {
      path: '/quick', image: 'x:1', type: 'async', retries: 3, retry_delay: 0.05, retry_backoff: 2, retry_on: ['error'],
    } });
    await api().post('/v1/demo/apps/r/routes').send({ route: { path: '/timeouts-only', image: 'x:1', type: 'async', retries: 2, retry_on: ['timeout'] } });
  });
  after(() => t.drop());

  it('retries a function that fails twice, with growing waits kept in the database, until it succeeds', async () => {
    const id = (await api().post('/v1/r/demo/r/flaky').type('text').send('3')).body.call_id;
    const runner = app.services.asyncRunner!;
    assert.equal(await runner.claimAndRun(id), true);
    let call = (await api().get(`/v1/demo/calls/${id}`)).body.call;
    assert.equal(call.status, 'queued', 'back in the queue, waiting');
    assert.equal(call.error, 'failed on attempt 1');
    // While it waits, no engine may take it.
    assert.equal(await runner.claimAndRun(id), false);
    assert.equal(runsOf(id), 1);
    await waitFor('attempt 2', () => runner.claimAndRun(id), 10_000, 50);
    await waitFor('attempt 3', () => runner.claimAndRun(id), 20_000, 50);
    call = (await api().get(`/v1/demo/calls/${id}`)).body.call;
    assert.equal(call.status, 'success');
    assert.equal(call.result, 'ok on attempt 3');
    assert.equal(call.error, null);
    assert.equal(call.attempts, 3);
    const h = call.attempt_history;
    assert.deepEqual(h.map((a: { attempt: number; status: string }) => [a.attempt, a.status]), [[1, 'error'], [2, 'error'], [3, 'success']]);
    assert.equal(h[1].error, 'failed on attempt 2');
    // Each wait: delay × backoff^(n−1) with equal jitter, 0.5–1 s then 2–4 s; the next attempt started only after it.
    const wait = (a: { completed_at: string; retry_at: string }) => Date.parse(a.retry_at) - Date.parse(a.completed_at);
    assert.ok(wait(h[0]) < wait(h[1]), `waits grow: ${wait(h[0])} ms then ${wait(h[1])} ms`);
    assert.ok(Date.parse(h[1].started_at) >= Date.parse(h[0].retry_at));
    assert.ok(Date.parse(h[2].started_at) >= Date.parse(h[1].retry_at));
    assert.equal(h[2].retry_at, null);
    const log2 = await api().get(`/v1/demo/calls/${id}/log?attempt=2`);
    assert.equal(log2.text, 'attempt 2 log\n');
    assert.equal((await api().get(`/v1/demo/calls/${id}/log`)).text, 'attempt 3 log\n');
    assert.equal((await api().get(`/v1/demo/calls/${id}/log?attempt=9`)).status, 404);
  });

  it('still retries when the process that ran the failed attempt is gone during the wait', async () => {
    const id = (await api().post('/v1/r/demo/r/flaky').type('text').send('2')).body.call_id;
    assert.equal(await app.services.asyncRunner!.claimAndRun(id), true);
    assert.equal((await api().get(`/v1/demo/calls/${id}`)).body.call.status, 'queued');
    // The first process is dropped without draining; a new one (its own services, queue and sweeper) takes over.
    const next = buildTestApi(t.db, testConfig(), { executor });
    const sweeper = new Sweeper({ calls: next.services.callStore, queue: next.services.queue },
      { intervalMs: 60_000, maxAttempts: 3, retentionMs: 3600_000, retryIntervalMs: 100 });
    sweeper.start();
    const consumer = await next.services.queue.consume(next.services.asyncRunner!, 2);
    try {
      await waitFor('the retried call to succeed', async () =>
        (await request(next.callback()).get(`/v1/demo/calls/${id}`)).body.call.status === 'success', 20_000, 100);
    } finally {
      sweeper.stop();
      await consumer.stop();
    }
    const call = (await request(next.callback()).get(`/v1/demo/calls/${id}`)).body.call;
    assert.equal(call.attempts, 2);
    assert.equal(runsOf(id), 2);
  });

  it('does not retry an outcome the route does not list, and ends with the last error when attempts run out', async () => {
    const id = (await api().post('/v1/r/demo/r/timeouts-only').type('text').send('5')).body.call_id;
    assert.equal(await app.services.asyncRunner!.claimAndRun(id), true);
    let call = (await api().get(`/v1/demo/calls/${id}`)).body.call;
    assert.equal(call.status, 'error');
    assert.equal(call.attempts, 1);
    assert.equal(call.attempt_history.length, 1);

    const out = (await api().post('/v1/r/demo/r/quick').type('text').send('99')).body.call_id;
    for (let n = 1; n <= 4; n++) await waitFor(`attempt ${n}`, () => app.services.asyncRunner!.claimAndRun(out), 10_000, 20);
    call = (await api().get(`/v1/demo/calls/${out}`)).body.call;
    assert.equal(call.status, 'error');
    assert.equal(call.error, 'failed on attempt 4');
    assert.equal(call.attempts, 4, 'the first attempt and 3 retries');
    assert.equal(runsOf(out), 4);
  });

  it('refuses bad retry fields with a 400 naming the field, and a route without them does not retry', async () => {
    for (const [field, value, msg] of [
      ['retries', 11, /route\.retries: must be at most 10/], ['retry_on', ['success'], /route\.retry_on/],
      ['retry_backoff', 0.5, /route\.retry_backoff: must be at least 1/], ['retry_delay', 'soon', /route\.retry_delay: must be a number/],
    ] as const) {
      const r = await api().post('/v1/demo/apps/r/routes').send({ route: { path: `/bad-${field}`, image: 'x:1', [field]: value } });
      assert.equal(r.status, 400, field);
      assert.match(r.body.error.message, msg);
    }
    const plain = await api().post('/v1/demo/apps/r/routes').send({ route: { path: '/plain', image: 'x:1', type: 'async' } });
    assert.deepEqual([plain.body.route.retries, plain.body.route.retry_on], [0, ['error', 'timeout']]);
    const updated = await api().put('/v1/demo/apps/r/routes/plain').send({ route: { retries: 2 } });
    assert.equal(updated.body.route.retries, 2);
    assert.equal(updated.body.route.retry_delay, 1);
    await api().put('/v1/demo/apps/r/routes/plain').send({ route: { retries: 0 } });
    const id = (await api().post('/v1/r/demo/r/plain').type('text').send('2')).body.call_id;
    assert.equal(await app.services.asyncRunner!.claimAndRun(id), true);
    const call = (await api().get(`/v1/demo/calls/${id}`)).body.call;
    assert.equal(call.status, 'error');
    assert.equal(call.attempt_history, undefined, 'a call that ran once answers as before');
  });
});
