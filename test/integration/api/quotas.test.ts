import assert from 'node:assert/strict';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import type { Identity } from '../../../src/domain/identity';
import type { Response } from 'supertest';
import type { Services } from '../../../src/main';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildIdentityApi, type TestCaller } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';

/** Echoes the body; a body starting with "hold" runs until release() (so calls can be kept running). */
class HoldingExecutor implements Executor {
  readonly running = new Map<string, number>();
  readonly most = new Map<string, number>();
  readonly done: string[] = [];
  private gate!: Promise<void>;
  private open!: () => void;
  constructor() { this.close(); }
  close(): void { this.gate = new Promise((r) => { this.open = r; }); }
  release(): void { this.open(); }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}
  async run(req: ExecutorCall): Promise<CallOutcome> {
    const p = req.route.projectId;
    const now = (this.running.get(p) ?? 0) + 1;
    this.running.set(p, now);
    this.most.set(p, Math.max(this.most.get(p) ?? 0, now));
    const startedAt = new Date();
    try {
      if (req.body.toString().startsWith('hold')) await this.gate;
    } finally {
      this.running.set(p, (this.running.get(p) ?? 1) - 1);
    }
    this.done.push(req.id);
    return { kind: 'cold', startedAt, resultTruncated: false, logTruncated: false, log: Buffer.alloc(0),
      status: 'success', exitCode: 0, result: Buffer.from(`ok ${req.body}`), completedAt: new Date() };
  }
}

// Callers named by a test header: an admin, a member and a reader of demo.
const IDENTITIES: Record<string, Identity> = {
  admin: { projectId: 'admin', roles: ['admin', 'member', 'reader'] },
  member: { projectId: 'demo', roles: ['member', 'reader'] },
  reader: { projectId: 'demo', roles: ['reader'] },
};

describe('quotas: per-project limits, 429 with Retry-After, async calls waiting over running_calls (PostgreSQL)', function () {
  this.timeout(60_000);
  let t: TestDb;
  const executor = new HoldingExecutor();
  let services: Services;
  let as: (who: string) => TestCaller;
  const admin = () => as('admin');
  const run = (project: string, route: 'a' | 's', body = 'x') =>
    admin().post(`/v1/r/${project}/q/${route}`).set('Content-Type', 'text/plain').send(body);
  const setQuota = async (project: string, quota: Record<string, number | null>) => {
    const res = await admin().put(`/v1/${project}/quotas`).send({ quota });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.quota;
  };

  before(async () => {
    t = await createTestDb();
    ({ services, as } = buildIdentityApi(t.db, IDENTITIES, { executor }));
    for (const project of ['demo', 'queued', 'rated', 'busy', 'calm']) {
      assert.equal((await admin().post(`/v1/${project}/apps`).send({ app: { name: 'q' } })).status, 200);
      for (const [path, type] of [['/a', 'async'], ['/s', 'sync']]) {
        const r = await admin().post(`/v1/${project}/apps/q/routes`).send({ route: { path, image: 'x:1', type } });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    }
  });
  after(() => t.drop());

  it('shows the defaults to the project, lets only an admin set and remove limits, and validates them', async () => {
    const shown = await as('reader').get('/v1/demo/quotas');
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.deepEqual(shown.body.quota, {
      project_id: 'demo', running_calls: 0, queued_calls: 0, calls_per_second: 0,
      overrides: { running_calls: null, queued_calls: null, calls_per_second: null },
      defaults: { running_calls: 0, queued_calls: 0, calls_per_second: 0 },
    });
    const refused = await as('member').put('/v1/demo/quotas').send({ quota: { running_calls: 100 } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'FRESCO_POLICY_FORBIDDEN');
    assert.equal((await as('member').delete('/v1/demo/quotas')).status, 403);

    const bad = await admin().put('/v1/demo/quotas').send({ quota: { running_calls: -1, queued_calls: 'many' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /running_calls/);
    assert.match(bad.body.error.message, /queued_calls/);
    assert.equal((await admin().put('/v1/demo/quotas').send({ quota: { burst: 3 } })).status, 400);

    let q = await setQuota('demo', { running_calls: 5, calls_per_second: 50 });
    assert.deepEqual([q.running_calls, q.queued_calls, q.calls_per_second], [5, 0, 50]);
    q = await setQuota('demo', { queued_calls: 7, calls_per_second: null });
    assert.deepEqual([q.running_calls, q.queued_calls, q.calls_per_second], [5, 7, 0], 'a limit not sent keeps its value, null is the default');
    assert.equal((await as('member').get('/v1/demo/quotas')).body.quota.overrides.running_calls, 5);

    const removed = await admin().delete('/v1/demo/quotas');
    assert.equal(removed.status, 200);
    assert.equal(removed.body.quota.running_calls, 0);
    assert.equal((await as('reader').get('/v1/demo/quotas')).body.quota.overrides.running_calls, null);
  });

  it('answers 429 with Retry-After over the queued-calls limit; another project is not affected', async () => {
    await setQuota('queued', { queued_calls: 2 });
    for (let i = 0; i < 2; i++) assert.equal((await run('queued', 'a')).status, 202);
    const over = await run('queued', 'a');
    assert.equal(over.status, 429, JSON.stringify(over.body));
    assert.equal(over.body.error.code, 'FRESCO_QUOTA_EXCEEDED');
    assert.match(over.body.error.message, /queued_calls is 2/);
    assert.ok(Number(over.headers['retry-after']) >= 1, `Retry-After: ${over.headers['retry-after']}`);
    assert.equal((await run('calm', 'a')).status, 202, 'another project still queues');
    // The refused call was never recorded: the project still has two queued calls.
    const calls = (await admin().get('/v1/queued/calls?status=queued')).body.calls;
    assert.equal(calls.length, 2);
  });

  it('answers 429 with Retry-After over the rate (sync and async runs); another project is not affected', async () => {
    await setQuota('rated', { calls_per_second: 2 });
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await run('rated', i % 2 ? 'a' : 's');
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    assert.ok(statuses.slice(0, 2).every((s) => s === 200 || s === 202), `the burst passes: ${statuses}`);
    assert.ok(refused, `some runs are refused: ${statuses}`);
    assert.equal(refused.body.error.code, 'FRESCO_QUOTA_EXCEEDED');
    assert.match(refused.body.error.message, /calls_per_second is 2/);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    for (let i = 0; i < 6; i++) assert.equal((await run('calm', 's')).status, 200, 'another project runs at its own rate');
    // The bucket fills again: a run passes once Retry-After has passed.
    await waitFor('a token again', async () => (await run('rated', 's')).status === 200, 5000, 100);
  });

  it('over running_calls async calls wait in the queue and all finish, sync calls get 429, another project runs meanwhile', async () => {
    await setQuota('busy', { running_calls: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await run('busy', 'a', `hold ${i}`);
      assert.equal(res.status, 202, 'never a 429 for an async call over running_calls');
      ids.push(res.body.call_id);
    }
    const consumer = await services.queue.consume(services.asyncRunner!, 8);
    try {
      await waitFor('two calls of busy running', () => executor.running.get('busy') === 2);
      // The others were claimed, found over the limit and put back to wait (not dropped, attempts not counted).
      await waitFor('the waiting calls put back in the queue', async () =>
        Number((await t.db('calls').where({ project_id: 'busy', status: 'queued' }).whereNotNull('not_before').count({ n: '*' }))[0]?.n) >= 1);
      // Another project's call runs while busy's backlog waits: the fair share.
      const calm = (await run('calm', 'a', 'quick')).body.call_id;
      await waitFor('the other project\'s call to finish', async () =>
        (await admin().get(`/v1/calm/calls/${calm}`)).body.call.status === 'success');
      const sync = await run('busy', 's');
      assert.equal(sync.status, 429, JSON.stringify(sync.body));
      assert.match(sync.body.error.message, /running_calls is 2/);
      assert.ok(Number(sync.headers['retry-after']) >= 1);
      assert.equal(executor.running.get('busy'), 2);
      executor.release();
      await waitFor('every call of busy to finish', async () => {
        const statuses = await Promise.all(ids.map(async (id) => (await admin().get(`/v1/busy/calls/${id}`)).body.call.status));
        return statuses.every((s) => s === 'success');
      }, 30_000, 100);
    } finally {
      executor.release();
      await consumer.stop();
    }
    assert.equal(executor.most.get('busy'), 2, 'never more than running_calls at once');
    for (const id of ids) {
      const call = (await admin().get(`/v1/busy/calls/${id}`)).body.call;
      assert.equal(call.attempts, 1, 'waiting is not an attempt');
      assert.match(call.result, /^ok hold/);
    }
  });
});
